namespace Forecast.Sinks.InfluxDb.Tests;

public sealed class InfluxDbSinkOptionsValidatorTests
{
    private static IReadOnlyList<string> Failures(InfluxDbSinkOptions options) =>
        new InfluxDbSinkOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_AcceptsV1WithUrlAndDatabase()
    {
        Assert.Empty(Failures(new InfluxDbSinkOptions { Url = "http://localhost:8086", Version = InfluxDbVersion.V1, Database = "forecast" }));
    }

    [Fact]
    public void Validate_AcceptsV2WithTokenOrgAndBucket()
    {
        Assert.Empty(Failures(new InfluxDbSinkOptions { Url = "https://influx:8086", Token = "t", Org = "o", Bucket = "b" }));
    }

    [Fact]
    public void Validate_SaysHowToFixMissingV2Settings()
    {
        var failures = Failures(new InfluxDbSinkOptions { Url = "http://localhost:8086" });

        Assert.Contains(failures, f => f.StartsWith("InfluxDb:Token is required", StringComparison.Ordinal) && f.Contains("TokenFile", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:Org is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:Bucket is required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "InfluxDb:Url is required")]
    [InlineData("localhost:8086", "is not an absolute http(s) URL")]
    [InlineData("ftp://localhost", "is not an absolute http(s) URL")]
    public void Validate_SaysHowToWriteTheUrl(string? url, string expected)
    {
        var failures = Failures(new InfluxDbSinkOptions { Url = url, Version = InfluxDbVersion.V1, Database = "d" });

        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal) && f.Contains("http://localhost:8086", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RefusesOutOfRangeBatchingAndRetrySettings()
    {
        var failures = Failures(new InfluxDbSinkOptions
        {
            Url = "http://localhost:8086",
            Version = InfluxDbVersion.V1,
            Database = "d",
            BatchSize = 10_000,
            Capacity = 5_000,
            Linger = TimeSpan.FromMinutes(1),
            MaxRetries = -1,
            InitialBackoff = TimeSpan.Zero,
            MaxBackoff = TimeSpan.FromDays(2),
            StepsToWrite = "1,first",
        });

        Assert.Contains(failures, f => f.StartsWith("InfluxDb:Capacity 5000 is below InfluxDb:BatchSize 10000", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:Linger", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:MaxRetries -1 is negative", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:InitialBackoff", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:MaxBackoff 2.00:00:00 is over a day", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("InfluxDb:StepsToWrite has 'first'", StringComparison.Ordinal));
    }

    [Fact]
    public void ToString_NeverShowsSecrets()
    {
        var options = new InfluxDbSinkOptions { Url = "http://h:8086", Token = "s3cret-token", Org = "o", Bucket = "b", Password = "pw-123" };

        Assert.DoesNotContain("s3cret", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pw-123", options.ToString(), StringComparison.Ordinal);
        Assert.Equal("V2 http://h:8086 org=o bucket=b", options.ToString());
    }
}
