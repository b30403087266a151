using Forecast.Sinks.Embedded;

namespace Forecast.Ingestion.Kafka.Tests;

public sealed class KafkaIngestionExtensionsTests
{
    [Fact]
    public void Validator_NamesEveryKeyThatIsWrong()
    {
        var result = new KafkaIngestionOptionsValidator().Validate(null, new KafkaIngestionOptions
        {
            BootstrapServers = " ",
            DeadLetterTopic = "sensor-readings",
            GroupId = "",
            MaxInFlightReadings = 1,
            MaxMessageBytes = 10,
            PollTimeout = TimeSpan.Zero,
        });

        Assert.True(result.Failed);
        Assert.Equal(
            [
                "Kafka:BootstrapServers is required, for example kafka:9092.",
                "Kafka:Topic and Kafka:DeadLetterTopic must be set and differ (defaults sensor-readings and sensor-readings.dlq).",
                "Kafka:GroupId must be set (default forecast).",
                "Kafka:MaxPollMessages and Kafka:MaxConcurrentCalls must be at least 1, Kafka:MaxInFlightReadings at least 2.",
                "Kafka:MaxMessageBytes must be at least 64 (default 1048576).",
                "Kafka:PollTimeout and Kafka:MaxAge must be positive; Kafka:DrainTimeout and Kafka:MaxFuture not negative.",
            ],
            result.Failures);
        Assert.True(new KafkaIngestionOptionsValidator().Validate(null, new KafkaIngestionOptions { BootstrapServers = "kafka:9092" }).Succeeded);
    }

    [Theory]
    [InlineData("enable.auto.offset.store", "true", "must stay false")]
    [InlineData("enable.auto.offset.store", "yes", "must stay false")]
    [InlineData("group.protocol", "consumer", "'consumer' is not supported")]
    [InlineData("group.protocol", "Consumer ", "is not supported")]
    public void Validator_RefusesPassThroughSettingsThatBreakAPromise(string key, string value, string expected)
    {
        var result = new KafkaIngestionOptionsValidator().Validate(null, new KafkaIngestionOptions
        {
            BootstrapServers = "kafka:9092",
            Consumer = { [key] = value },
        });

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.Contains($"Kafka:Consumer:{key}", failure, StringComparison.Ordinal);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("enable.auto.offset.store", "false")]
    [InlineData("group.protocol", "classic")]
    [InlineData("fetch.min.bytes", "1024")]
    public void Validator_TakesPassThroughSettingsThatKeepThePromises(string key, string value)
    {
        var result = new KafkaIngestionOptionsValidator().Validate(null, new KafkaIngestionOptions
        {
            BootstrapServers = "kafka:9092",
            Consumer = { [key] = value },
        });

        Assert.True(result.Succeeded, string.Join("; ", result.Failures ?? []));
    }

    [Fact]
    public void OptionsSetInCode_AreValidatedWithTheSameMessages()
    {
        using var services = new ServiceCollection()
            .AddKafkaIngestion(options => options.Configure(o => o.MaxMessageBytes = 1))
            .BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<KafkaIngestionOptions>>().Value);
        Assert.Contains("Kafka:BootstrapServers is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:MaxMessageBytes must be at least 64", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("predictions", true)]
    public void TheSinkGoesToKafkaToo_OnlyWhenAnOutputTopicIsSet(string? predictionsTopic, bool toKafka)
    {
        using var services = new ServiceCollection()
            .AddEmbeddedStore()
            .AddKafkaIngestion(options => options.Configure(o => (o.BootstrapServers, o.PredictionsTopic) = ("127.0.0.1:1", predictionsTopic)))
            .BuildServiceProvider();

        var sink = services.GetRequiredService<IPredictionSink>();

        Assert.Equal(toKafka ? typeof(KafkaOutputSink) : typeof(EmbeddedStore), sink.GetType());
    }

    [Fact]
    public void WithoutASinkRegisteredFirst_ResolvingOneSaysWhatToDo()
    {
        using var services = new ServiceCollection()
            .AddKafkaIngestion(options => options.Configure(o => (o.BootstrapServers, o.AnomaliesTopic) = ("127.0.0.1:1", "anomalies")))
            .BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IPredictionSink>());
        Assert.Equal("Register the prediction sink before AddKafkaIngestion when Kafka outputs are configured.", ex.Message);
    }
}
