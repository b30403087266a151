using Forecast.Abstractions;
using Forecast.Inference.Onnx;
using Forecast.Models.Registry;
using Forecast.Models.Storage;

namespace Forecast.Models;

/// <summary>
/// The validation gate of an upload: the package is unpacked safely into a scratch folder, loaded and validated
/// exactly as <c>forecast models validate</c> and a serving silo do (manifest against graph, opset, golden
/// vectors, finite outputs on random inputs), stored under its hash, and registered. Nothing reaches the
/// registry unless all of that passed, so the serving versions keep serving.
/// </summary>
public sealed class ModelUploads(IGrainFactory grains, IModelStore store, IOptions<OnnxInferenceOptions> inference, IOptions<ModelsOptions> options, TimeProvider clock)
{
    /// <summary>The largest upload taken (<see cref="ModelsOptions.MaxUploadBytes"/>).</summary>
    public long MaxUploadBytes => options.Value.MaxUploadBytes;

    /// <summary>Validates and registers <paramref name="package"/>; the reply's status says what came of it (201, 200, 409, 413, 422, 507 on a full disk).</summary>
    public async Task<RegistryReply> UploadAsync(byte[] package, string actor, CancellationToken cancellationToken = default)
    {
        var registry = grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        if (package.Length > options.Value.MaxUploadBytes)
        {
            var reason = $"the upload is {package.Length:N0} bytes; Models:MaxUploadBytes is {options.Value.MaxUploadBytes:N0}.";
            await registry.RefusedAsync(actor, "upload", $"{package.Length:N0} bytes", reason);
            return new RegistryReply(413, reason, null, await registry.GetAsync());
        }

        var scratch = Path.Combine(Path.GetTempPath(), "forecast-upload-" + Guid.NewGuid().ToString("N"));
        try
        {
            ModelPackage.Unpack(package, scratch, options.Value.MaxUnpackedBytes);
            var directory = ModelFolder(scratch);
            var settings = new OnnxInferenceOptions
            {
                ModelDirectory = directory,
                IntraOpThreads = 1,
                // Validated on the CPU: the gate is about the model, not about this silo's accelerator.
                ExecutionProvider = "cpu",
                MaxBatch = inference.Value.MaxBatch,
            };
            using var model = OnnxModel.Load(directory, settings);
            var d = model.Descriptor;
            var sha = ModelPackage.ContentHash(directory);
            await store.PutPackageAsync(sha, package, cancellationToken);
            return await registry.RegisterAsync(
                new ModelVersion(d.Name, d.Version, Serving.ModelSync.Signature(d.Signature), d.Horizon, d.Window, model.GoldenCases, sha, package.Length, clock.GetUtcNow(), actor),
                actor);
        }
        catch (Exception exception) when (exception is ModelPackageException or ModelValidationException)
        {
            var reason = "the model was refused: " + exception.Message.Replace(scratch + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).Replace(scratch, ".", StringComparison.Ordinal);
            await registry.RefusedAsync(actor, "upload", $"{package.Length:N0} bytes", reason);
            return new RegistryReply(422, reason, null, await registry.GetAsync());
        }
        catch (IOException exception) when (DiskFull.Is(exception))
        {
            // Nothing was registered. Not audited either: the audit is written to that same disk.
            return new RegistryReply(507, $"the model was not stored: {exception.Message} Free space there and upload it again.", null, await registry.GetAsync());
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>The unpacked folder holding <c>manifest.json</c>: the root, or the one folder a <c>tar -C parent DIR</c> made.</summary>
    private static string ModelFolder(string root)
    {
        if (File.Exists(Path.Combine(root, "manifest.json")))
        {
            return root;
        }

        var folders = Directory.GetDirectories(root);
        return folders.Length == 1 && File.Exists(Path.Combine(folders[0], "manifest.json"))
            ? folders[0]
            : throw new ModelPackageException("the package has no manifest.json at its top (or in its one top folder); pack the model folder's contents.");
    }
}
