using Forecast.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Forecast.Inference.Onnx;

/// <summary>Registers ONNX Runtime inference as the silo's <see cref="IForecaster"/>.</summary>
public static partial class OnnxInferenceExtensions
{
    /// <summary>
    /// Binds <see cref="OnnxInferenceOptions"/> from the <c>Inference</c> section, loads and validates
    /// the model once, and serves it through a <see cref="BatchingForecaster"/>. A silo configured for
    /// CUDA where CUDA cannot start logs why and serves on the CPU.
    /// </summary>
    public static IHostApplicationBuilder AddOnnxInference(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OnnxInferenceOptions>()
            .Bind(builder.Configuration.GetSection(OnnxInferenceOptions.SectionName))
            .Validate(o => o.MaxBatch is >= 1 and <= 65536, "Inference:MaxBatch must be between 1 and 65536 (default 256).")
            .Validate(o => o.MaxWait >= TimeSpan.Zero && o.MaxWait <= TimeSpan.FromSeconds(1),
                "Inference:MaxWait must be between 00:00:00 and 00:00:01 (default 200 µs, 00:00:00.0002).")
            .Validate(o => o.Workers is >= 1 and <= 64, "Inference:Workers must be between 1 and 64 (default 1).")
            .Validate(o => o.IntraOpThreads >= 0, "Inference:IntraOpThreads must be 0 (ONNX Runtime decides) or more (default 1).")
            .Validate(o => o.ExecutionProvider is "cpu" or "cuda", "Inference:ExecutionProvider must be 'cpu' or 'cuda'.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => LoadModel(
            sp.GetRequiredService<IOptions<OnnxInferenceOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OnnxModel))));
        builder.Services.AddSingleton(sp => new BatchingForecaster(
            sp.GetRequiredService<OnnxModel>(),
            sp.GetRequiredService<IOptions<OnnxInferenceOptions>>().Value,
            sp.GetRequiredService<ILogger<BatchingForecaster>>()));
        builder.Services.AddSingleton<IForecaster>(sp => sp.GetRequiredService<BatchingForecaster>());
        return builder;
    }

    private static OnnxModel LoadModel(OnnxInferenceOptions options, ILogger logger)
    {
        OnnxModel model;
        if (options.ExecutionProvider == "cuda")
        {
            try
            {
                model = OnnxModel.Load(options.ModelDirectory, options);
            }
            catch (Exception exception) when (exception is not ModelValidationException || exception.InnerException is not null)
            {
                LogCudaUnavailable(logger, exception, options.DeviceId);
                model = OnnxModel.Load(options.ModelDirectory, new OnnxInferenceOptions
                {
                    ModelDirectory = options.ModelDirectory,
                    IntraOpThreads = options.IntraOpThreads,
                    ExecutionProvider = "cpu",
                });
            }
        }
        else
        {
            model = OnnxModel.Load(options.ModelDirectory, options);
        }

        LogModelLoaded(logger, model.Descriptor.Id, model.Directory, options.ExecutionProvider);
        return model;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA is not available on device {DeviceId}; serving on the CPU instead")]
    private static partial void LogCudaUnavailable(ILogger logger, Exception exception, int deviceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving model {ModelId} from {Directory} ({Provider} requested); it passed validation")]
    private static partial void LogModelLoaded(ILogger logger, string modelId, string directory, string provider);
}
