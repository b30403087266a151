using Forecast.Abstractions;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        builder.Services.AddOnnxInference(options => options.Bind(builder.Configuration.GetSection(OnnxInferenceOptions.SectionName)));
        return builder;
    }

    /// <summary>
    /// The same with the options set by <paramref name="configure"/>. The options are validated and the
    /// model is loaded and validated when the host starts, before any other service starts: a model that
    /// must not be served stops the host with the reason instead of failing the first grain activation.
    /// </summary>
    public static IServiceCollection AddOnnxInference(this IServiceCollection services, Action<OptionsBuilder<OnnxInferenceOptions>>? configure = null)
    {
        services.AddValidatedOptions<OnnxInferenceOptions, OnnxInferenceOptionsValidator>(configure);
        services.TryAddSingleton(sp => LoadModel(
            sp.GetRequiredService<IOptions<OnnxInferenceOptions>>().Value.ModelDirectory,
            sp.GetRequiredService<IOptions<OnnxInferenceOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OnnxModel))));
        services.TryAddSingleton(sp => new BatchingForecaster(
            sp.GetRequiredService<OnnxModel>(),
            sp.GetRequiredService<IOptions<OnnxInferenceOptions>>().Value,
            sp.GetRequiredService<ILogger<BatchingForecaster>>()));
        services.TryAddSingleton<IForecaster>(sp => sp.GetRequiredService<BatchingForecaster>());
        services.AddHostedService<ModelLoader>();
        return services;
    }

    /// <summary>
    /// Loads and validates the model in <paramref name="directory"/> with <paramref name="options"/>; a model asked
    /// for on CUDA where CUDA cannot start is loaded on the CPU, with the reason logged.
    /// </summary>
    internal static OnnxModel LoadModel(string directory, OnnxInferenceOptions options, ILogger logger)
    {
        OnnxModel model;
        if (options.ExecutionProvider == "cuda")
        {
            try
            {
                model = OnnxModel.Load(directory, options);
            }
            catch (Exception exception) when (exception is not ModelValidationException || exception.InnerException is not null)
            {
                LogCudaUnavailable(logger, exception, options.DeviceId);
                model = OnnxModel.Load(directory, new OnnxInferenceOptions
                {
                    ModelDirectory = directory,
                    IntraOpThreads = options.IntraOpThreads,
                    ExecutionProvider = "cpu",
                });
            }
        }
        else
        {
            model = OnnxModel.Load(directory, options);
        }

        LogModelLoaded(logger, model.Descriptor.Id, model.Directory, options.ExecutionProvider);
        return model;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA is not available on device {DeviceId}; serving on the CPU instead")]
    private static partial void LogCudaUnavailable(ILogger logger, Exception exception, int deviceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving model {ModelId} from {Directory} ({Provider} requested); it passed validation")]
    private static partial void LogModelLoaded(ILogger logger, string modelId, string directory, string provider);
}
