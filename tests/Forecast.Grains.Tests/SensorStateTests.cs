using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Orleans.Serialization;
using Orleans.Storage;

namespace Forecast.Grains.Tests;

/// <summary>
/// Checkpoints through the serializer grain storage uses. <c>checkpoints/sensor-state-2026-11.bin</c> is a
/// checkpoint written by the flat <see cref="SensorState"/> of November 2026 (see checkpoints/README.md);
/// the JSON next to it holds the readings that stream saw next and what it produced from them (its
/// anomaly scores and anomalies are those of the scoring before the anomaly likelihood).
/// </summary>
public sealed class SensorStateTests
{
    private const string Sensor = "plant-1/pump-7:temp";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly OrleansGrainStorageSerializer Storage = new(new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(SensorState).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>());

    [Fact]
    public async Task Deserialize_RestoresAFlatCheckpoint_ThatContinuesAsTheStreamDid()
    {
        var (state, expected) = await FlatCheckpoint();

        await AssertContinuesAsTheStreamDid(state, expected);
    }

    [Fact]
    public async Task Deserialize_ReadsEveryPartOfAFlatCheckpoint()
    {
        var (state, expected) = await FlatCheckpoint();
        var flat = expected["checkpoint"]!;

        var parts = SensorStream.Restore(Sensor, new AnomalyOptions(), state).Export();

        Assert.Equal(
            new ScalerState(Get<int>(flat, "ScalerCount"), Get<double>(flat, "ScalerMean"), Get<double>(flat, "ScalerM2"), Get<double>(flat, "ScalerScale"), Get<bool>(flat, "ScalerFixed")),
            parts.Scaler);
        Assert.Equal(new ResidualScaleState(Get<int>(flat, "ResidualCount"), Get<double>(flat, "ResidualMeanSquare")), parts.Residuals);
        Assert.Equal(
            new AnomalyEpisodeState(Get<bool>(flat, "EpisodeOpen"), Get<DateTimeOffset>(flat, "EpisodeStart"), Get<AnomalySeverity>(flat, "EpisodeSeverity"), Get<int>(flat, "EpisodeLength"), Get<int>(flat, "EpisodeQuiet")),
            parts.Episode);
        Assert.Equal(Get<int>(flat, "RingCapacity"), parts.Ring!.Capacity);
        Assert.Equal(Get<long[]>(flat, "RingTicks"), parts.Ring.Ticks);
        Assert.Equal(Get<float[]>(flat, "RingValues"), parts.Ring.Values);
        Assert.Equal(Get<float[]>(flat, "StepForecasts"), parts.Steps!.Past);
        Assert.Equal((Get<int>(flat, "StepRows"), Get<int>(flat, "StepNewest")), (parts.Steps.Rows, parts.Steps.Newest));
        Assert.Equal(Get<double[]>(flat, "StepMeanSquares"), parts.Steps.MeanSquare);
        Assert.Equal(Get<int[]>(flat, "StepCounts"), parts.Steps.Counts);
    }

    [Fact]
    public async Task Serialize_WritesTheRecords_WhichRestoreAsTheFlatCheckpointDid()
    {
        var (flat, expected) = await FlatCheckpoint();
        var exported = SensorStream.Restore(Sensor, new AnomalyOptions(), flat).Export();

        var state = Storage.Deserialize<SensorState>(Storage.Serialize(exported))!;

        Assert.Equal((exported.Scaler, exported.Residuals, exported.Episode), (state.Scaler, state.Residuals, state.Episode));
        Assert.Equal(exported.Ring!.Values, state.Ring!.Values);
        Assert.Equal(exported.Steps!.MeanSquare, state.Steps!.MeanSquare);
        // A build from before the records reads the flat members: they must be empty, not null.
        Assert.Equal((0, 0, 0, 0), (state.ScalerCount, state.RingCapacity, state.ResidualCount, state.StepRows));
        Assert.All<Array>([state.RingTicks, state.RingValues, state.StepForecasts, state.StepMeanSquares, state.StepCounts], Assert.Empty);
        await AssertContinuesAsTheStreamDid(state, expected);
    }

    private static async Task<(SensorState State, JsonNode Expected)> FlatCheckpoint()
    {
        var bytes = await File.ReadAllBytesAsync(Checkpoint("sensor-state-2026-11.bin"));
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Checkpoint("sensor-state-2026-11.next.json")))!;
        return (Storage.Deserialize<SensorState>(new BinaryData(bytes))!, expected);
    }

    private static async Task AssertContinuesAsTheStreamDid(SensorState state, JsonNode expected)
    {
        var stream = SensorStream.Restore(Sensor, new AnomalyOptions(), state);

        var actual = await Continue(stream, Get<SensorReading[]>(expected, "readings"));

        // Members added since (the model registry's stage and shadow version) are null for a served stream
        // restored from then; everything the stream computed must be as it was.
        foreach (var prediction in actual["predictions"]!.AsArray())
        {
            Assert.Null(prediction!["Stage"]);
            prediction.AsObject().Remove("Stage");
        }

        Assert.Null(actual["status"]!["Shadow"]);
        actual["status"]!.AsObject().Remove("Shadow");
        foreach (var part in new[] { "predictions", "counts", "status" })
        {
            Assert.True(
                JsonNode.DeepEquals(expected[part], actual[part]),
                $"{part} differ from what the stream produced before its checkpoint: {actual[part]!.ToJsonString()[..Math.Min(600, actual[part]!.ToJsonString().Length)]}");
        }

        // Anomaly scores changed meaning in December 2026 (the anomaly likelihood): a checkpoint from before
        // has no scorer state, so the sensor learns again and decides nothing meanwhile.
        Assert.All(actual["scores"]!.AsArray(), score => Assert.Equal(0, score!.GetValue<double>()));
        Assert.Empty(actual["anomalies"]!.AsArray());
    }

    private static async Task<JsonObject> Continue(SensorStream stream, SensorReading[] readings)
    {
        var output = await stream.ApplyAsync(readings, new PersistenceForecaster());
        return new JsonObject
        {
            ["predictions"] = JsonSerializer.SerializeToNode(output.Predictions, Json),
            ["scores"] = JsonSerializer.SerializeToNode(output.Scores, Json),
            ["anomalies"] = JsonSerializer.SerializeToNode(output.Anomalies, Json),
            ["counts"] = JsonSerializer.SerializeToNode(new { output.Duplicates, output.OutOfOrder, output.Invalid }, Json),
            ["status"] = JsonSerializer.SerializeToNode(stream.Status(), Json),
        };
    }

    private static T Get<T>(JsonNode node, string name) => node[name].Deserialize<T>(Json)!;

    private static string Checkpoint(string name) => Path.Combine(AppContext.BaseDirectory, "checkpoints", name);
}
