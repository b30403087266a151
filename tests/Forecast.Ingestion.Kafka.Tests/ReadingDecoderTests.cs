using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Forecast.Ingestion.Kafka.Tests;

public sealed class ReadingDecoderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private readonly ReadingDecoder _decoder = new(new KafkaIngestionOptions().Limits, new FakeTimeProvider(Now));

    [Fact]
    public void Decode_ReadsAJsonReading_WithAnIsoTimestamp()
    {
        var result = Decode("""{"sensor":"pump-7/temp","ts":"2026-11-29T10:00:00Z","value":71.3}""");

        var reading = Assert.Single(result.Readings);
        Assert.Equal(("pump-7/temp", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero), 71.3), (reading.SensorId, reading.Timestamp, reading.Value));
    }

    [Fact]
    public void Decode_ReadsEpochMilliseconds_AndTakesTheSensorFromTheKey()
    {
        var result = Decode("""{"ts":1795946400000,"value":-4}""", key: "plant.a:line-3");

        var reading = Assert.Single(result.Readings);
        Assert.Equal("plant.a:line-3", reading.SensorId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1795946400000), reading.Timestamp);
    }

    [Fact]
    public void Decode_ReadsAnArrayOfReadings()
    {
        var result = Decode("""[{"sensor":"a","ts":1795946400000,"value":1},{"sensor":"b","ts":1795946460000,"value":2.5e3}]""");

        Assert.Equal(["a", "b"], result.Readings.Select(r => r.SensorId));
        Assert.Equal(2500, result.Readings[1].Value);
    }

    [Fact]
    public void Decode_ReadsLineProtocol_AsTelegrafWritesIt()
    {
        var result = Decode("temp,sensor=pump-7,site=north value=71.3 1795946400000000000\ntemp,sensor=pump-8 value=70i,rpm=1500u 1795946400000000000\n");

        Assert.Equal(["pump-7", "pump-8", "pump-8/rpm"], result.Readings.Select(r => r.SensorId));
        Assert.Equal([71.3, 70, 1500], result.Readings.Select(r => r.Value));
        Assert.All(result.Readings, r => Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1795946400000), r.Timestamp));
    }

    [Fact]
    public void Decode_UsesTheMessageTime_WhenALineHasNoTimestamp()
    {
        var sent = Now.AddSeconds(-3);
        var result = _decoder.Decode(Encoding.UTF8.GetBytes("boiler-1"), Encoding.UTF8.GetBytes("temp value=3.5"), sent);

        var reading = Assert.Single(result.Readings);
        Assert.Equal(("boiler-1", sent), (reading.SensorId, reading.Timestamp));
    }

    public static TheoryData<string, string> BadMessages() => new()
    {
        { "", DeadLetterReason.Empty },
        { "{\"sensor\":\"a\",\"ts\":1795946400000,", DeadLetterReason.InvalidJson },
        { "{\"sensor\":\"a\",\"ts\":", DeadLetterReason.InvalidJson },
        { "[[{\"sensor\":\"a\",\"ts\":1795946400000,\"value\":1}]]", DeadLetterReason.TooDeep },
        { "{\"sensor\":\"a\",\"ts\":1795946400000,\"value\":{\"deep\":{\"deeper\":1}}}", DeadLetterReason.TooDeep },
        { "{\"sensor\":\"a\",\"ts\":1795946400000,\"value\":\"12\"}", DeadLetterReason.WrongType },
        { "{\"sensor\":42,\"ts\":1795946400000,\"value\":12}", DeadLetterReason.WrongType },
        { "[1,2,3]", DeadLetterReason.WrongType },
        { "[]", DeadLetterReason.Empty },
        { "{\"sensor\":\"a\",\"value\":12}", DeadLetterReason.MissingField },
        { "{\"ts\":1795946400000,\"value\":12}", DeadLetterReason.MissingField },
        { "{\"sensor\":\"a\",\"ts\":1795946400000}", DeadLetterReason.MissingField },
        { "{\"sensor\":\"a\",\"ts\":1795946400000,\"value\":1e999}", DeadLetterReason.NonFinite },
        { "{\"sensor\":\"a\",\"ts\":1795946400000,\"value\":1e300}", DeadLetterReason.ValueOutOfRange },
        { "{\"sensor\":\"a\",\"ts\":\"1990-01-01T00:00:00Z\",\"value\":1}", DeadLetterReason.TimestampOutOfRange },
        { "{\"sensor\":\"a\",\"ts\":\"2027-01-01T00:00:00Z\",\"value\":1}", DeadLetterReason.TimestampOutOfRange },
        { "{\"sensor\":\"a\",\"ts\":99999999999999999,\"value\":1}", DeadLetterReason.TimestampOutOfRange },
        { "{\"sensor\":\"a\",\"ts\":\"yesterday\",\"value\":1}", DeadLetterReason.WrongType },
        { "{\"sensor\":\"\",\"ts\":1795946400000,\"value\":1}", DeadLetterReason.BadSensorId },
        { "{\"sensor\":\"pump 7\",\"ts\":1795946400000,\"value\":1}", DeadLetterReason.BadSensorId },
        { "{\"sensor\":\"" + new string('x', 257) + "\",\"ts\":1795946400000,\"value\":1}", DeadLetterReason.BadSensorId },
        { "[{\"sensor\":\"a\",\"ts\":1795946400000,\"value\":1},{\"sensor\":\"b\",\"ts\":1795946400000,\"value\":NaN}]", DeadLetterReason.InvalidJson },
        { "temp,sensor=a value=abc 1795946400000000000", DeadLetterReason.InvalidLineProtocol },
        { "temp,sensor=a value=1 soon", DeadLetterReason.InvalidLineProtocol },
        { "temp,sensor=a status=\"ok\" 1795946400000000000", DeadLetterReason.WrongType },
        { "just some words", DeadLetterReason.InvalidLineProtocol },
        { "temp,sensor=a value=NaN 1795946400000000000", DeadLetterReason.NonFinite },
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public void Decode_RefusesABadMessage_WithItsReason(string payload, string reason)
    {
        var result = Decode(payload);

        Assert.False(result.IsValid);
        Assert.Equal(reason, result.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        Assert.Empty(result.Readings);
    }

    [Fact]
    public void Decode_RefusesAnOversizedMessage_BeforeParsingIt()
    {
        var result = _decoder.Decode(null, new byte[(1 << 20) + 1], Now);

        Assert.Equal(DeadLetterReason.Oversized, result.Reason);
    }

    private DecodeResult Decode(string payload, string? key = null) =>
        _decoder.Decode(key is null ? null : Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(payload), Now);
}
