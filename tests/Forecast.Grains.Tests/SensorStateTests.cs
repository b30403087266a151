using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Forecast.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Forecast.Grains.Tests;

/// <summary>
/// Checkpoints through the serializer grain storage uses. <c>checkpoints/sensor-state-2026-11.bin</c> is a
/// checkpoint written by the flat <see cref="SensorState"/> of November 2026 (see checkpoints/README.md);
/// the JSON next to it holds the readings that stream saw next and what it produced from them.
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
        var state = Storage.Deserialize<SensorState>(new BinaryData(await File.ReadAllBytesAsync(Checkpoint("sensor-state-2026-11.bin"))))!;
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Checkpoint("sensor-state-2026-11.next.json")))!;
        var stream = SensorStream.Restore(Sensor, new AnomalyOptions(), state);

        var actual = await Continue(stream, expected["readings"].Deserialize<SensorReading[]>(Json)!);

        foreach (var part in new[] { "predictions", "scores", "anomalies", "counts", "status" })
        {
            Assert.True(JsonNode.DeepEquals(expected[part], actual[part]), $"{part} differ from what the stream produced before its checkpoint");
        }
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

    private static string Checkpoint(string name) => Path.Combine(AppContext.BaseDirectory, "checkpoints", name);
}
