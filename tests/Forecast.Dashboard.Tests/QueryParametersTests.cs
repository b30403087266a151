using Forecast.Dashboard.Api;

namespace Forecast.Dashboard.Tests;

public sealed class QueryParametersTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("-15m", "2026-05-01T11:45:00Z")]
    [InlineData("-30s", "2026-05-01T11:59:30Z")]
    [InlineData("-500ms", "2026-05-01T11:59:59.5Z")]
    [InlineData("-1.5h", "2026-05-01T10:30:00Z")]
    [InlineData("-1d", "2026-04-30T12:00:00Z")]
    [InlineData("now-2h", "2026-05-01T10:00:00Z")]
    [InlineData("now", "2026-05-01T12:00:00Z")]
    [InlineData("2026-05-01T10:00:00Z", "2026-05-01T10:00:00Z")]
    [InlineData("2026-05-01T12:00:00+02:00", "2026-05-01T10:00:00Z")]
    [InlineData("2026-05-01T12:00:00 02:00", "2026-05-01T10:00:00Z")]
    [InlineData("2026-05-01T10:00:00", "2026-05-01T10:00:00Z")]
    [InlineData("1777629600000", "2026-05-01T10:00:00Z")]
    public void TryTime_TakesIsoRelativeAndEpochTimes(string text, string expected)
    {
        Assert.True(QueryParameters.TryTime("from", text, Now, null, out var value, out var error), error);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void TryTime_GivesTheFallback_WhenEmpty()
    {
        Assert.True(QueryParameters.TryTime("from", "", Now, Now.AddMinutes(-15), out var value, out _));
        Assert.Equal(Now.AddMinutes(-15), value);
        Assert.True(QueryParameters.TryTime("from", null, Now, null, out value, out _));
        Assert.Null(value);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("15m")]
    [InlineData("-15x")]
    [InlineData("-0m")]
    [InlineData("--5m")]
    [InlineData("-m")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("-99999999d")]
    public void TryTime_RefusesWhatIsNotATime_NamingTheParameter(string text)
    {
        Assert.False(QueryParameters.TryTime("from", text, Now, null, out _, out var error));
        Assert.StartsWith($"Parameter 'from' is '{text}', which is not a time", error);
        Assert.Contains("-15m", error);
    }

    [Theory]
    [InlineData(null, 50)]
    [InlineData("1", 1)]
    [InlineData(" 1000 ", 1000)]
    public void TryLimit_TakesAWholeNumberUpToTheMaximum(string? text, int expected)
    {
        Assert.True(QueryParameters.TryLimit("limit", text, 50, 1_000, out var value, out var error), error);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void TryLimit_RefusesOtherValues_NamingTheParameterAndTheRange(string text)
    {
        Assert.False(QueryParameters.TryLimit("limit", text, 50, 1_000, out _, out var error));
        Assert.Equal($"Parameter 'limit' is '{text}': use a whole number from 1 to 1,000 (default 50).", error);
    }

    [Theory]
    [InlineData("warning", AnomalySeverity.Warning)]
    [InlineData("CRITICAL", AnomalySeverity.Critical)]
    [InlineData("", null)]
    public void TrySeverity_TakesWarningOrCritical(string text, AnomalySeverity? expected)
    {
        Assert.True(QueryParameters.TrySeverity("severity", text, out var value, out _));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void TrySeverity_RefusesAnUnknownSeverity()
    {
        Assert.False(QueryParameters.TrySeverity("severity", "fatal", out _, out var error));
        Assert.Equal("Parameter 'severity' is 'fatal': use warning or critical (or leave it out for both).", error);
    }

    [Fact]
    public void TryQuery_RefusesAQueryLongerThanASensorId()
    {
        Assert.True(QueryParameters.TryQuery("query", " pump ", out var value, out _));
        Assert.Equal("pump", value);
        Assert.False(QueryParameters.TryQuery("query", new string('x', 257), out _, out var error));
        Assert.StartsWith("Parameter 'query' is 257 characters long", error);
    }
}
