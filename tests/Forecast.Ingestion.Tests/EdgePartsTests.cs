using Forecast.Ingestion.Http;
using Forecast.Ingestion.Mqtt;

namespace Forecast.Ingestion.Tests;

/// <summary>The plain classes of the edge: the in-flight bound, topic templates, precisions, key files and option checks.</summary>
public sealed class EdgePartsTests
{
    [Fact]
    public void InFlightGate_TurnsAwayWhatPassesTheBound_ButAdmitsOneLargeRequestAlone()
    {
        var gate = new InFlightGate(100);
        Assert.True(gate.TryEnter(60));
        Assert.False(gate.TryEnter(50));
        Assert.True(gate.TryEnter(40));
        gate.Exit(100);
        Assert.True(gate.TryEnter(500));
        Assert.Equal(500, gate.InFlight);
    }

    [Theory]
    [InlineData("devices/+/readings", null, "devices/pump-7/readings", "pump-7")]
    [InlineData("plant/+/+/value", null, "plant/a/b/value", "a")]
    [InlineData("plant/+/+/value", "plant-{1}/{2}", "plant/a/b/value", "plant-a/b")]
    [InlineData("sensors/#", null, "sensors/x/y", "sensors/x/y")]
    public void TopicSensor_NamesTheSensorFromTheTopic(string filter, string? template, string topic, string sensor) =>
        Assert.Equal(sensor, TopicSensor.From(new MqttIngestionOptions { Topic = filter, SensorId = template }).Of(topic));

    [Fact]
    public void TopicSensor_GivesNoSensor_WhenTheTopicLacksTheLevel() =>
        Assert.Null(new TopicSensor("{3}").Of("devices/pump"));

    [Theory]
    [InlineData("ns", 1_000_000_000L)]
    [InlineData("us", 1_000_000L)]
    [InlineData("ms", 1_000L)]
    [InlineData("s", 1L)]
    public void Precisions_ReadTheSameInstant(string unit, long perSecond)
    {
        Assert.True(TimestampPrecisions.TryParse(unit, out var precision));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000), TimestampPrecisions.FromUnix(1_700_000_000 * perSecond, precision));
    }

    [Fact]
    public void Decoder_RefusesATimestampOutsideTheCalendar_AtItsPrecision()
    {
        var decoder = new ReadingDecoder(ReadingLimits.Default, TimeProvider.System);
        var result = decoder.DecodeFor(null, "m value=1 9223372036854775807"u8.ToArray(), DateTimeOffset.UtcNow, TimestampPrecision.Seconds);
        Assert.Equal(DeadLetterReason.TimestampOutOfRange, result.Reason);
    }

    [Fact]
    public void ApiKeys_RefuseAFileThatCannotBeRead_NamingTheSettingAndTheFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-keys-{Guid.NewGuid():N}");

        var error = Assert.Throws<InvalidOperationException>(() => ApiKeys.Load(missing)).Message;

        Assert.StartsWith($"Edge:ApiKeyFile '{missing}' cannot be read", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeys_RefuseAFileWithShortKeysOrNoKey()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["# keys", "short"]);
            Assert.Contains("line 2", Assert.Throws<InvalidOperationException>(() => ApiKeys.Load(file)).Message, StringComparison.Ordinal);
            File.WriteAllLines(file, ["# nothing here"]);
            Assert.Contains("holds no key", Assert.Throws<InvalidOperationException>(() => ApiKeys.Load(file)).Message, StringComparison.Ordinal);
            File.WriteAllLines(file, ["0123456789abcdef plant-a/"]);
            var keys = ApiKeys.Load(file);
            Assert.Equal("plant-a/", keys.Authorize("Token 0123456789abcdef"));
            Assert.Null(keys.Authorize("Token 0123456789abcdeX"));
            Assert.Null(keys.Authorize(null));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("Server", "localhost:99999", "Mqtt:Server")]
    [InlineData("Topic", "a/#/b", "Mqtt:Topic")]
    [InlineData("SensorId", "plant-a", "Mqtt:SensorId")]
    [InlineData("ReceiveMaximum", "0", "Mqtt:ReceiveMaximum")]
    public void MqttOptions_AreRefusedWithTheKeyNamed(string key, string value, string message)
    {
        var options = new MqttIngestionOptions { Server = "127.0.0.1:1883" };
        typeof(MqttIngestionOptions).GetProperty(key)!.SetValue(options, key == "ReceiveMaximum" ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : value);
        var result = new MqttIngestionOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpOptions_RefuseAMissingKeyFile()
    {
        var result = new HttpIngestionOptionsValidator().Validate(null, new HttpIngestionOptions { ApiKeyFile = "/no/such/keys" });
        Assert.Contains("Edge:ApiKeyFile", result.FailureMessage, StringComparison.Ordinal);
    }
}
