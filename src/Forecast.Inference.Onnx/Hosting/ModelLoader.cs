
namespace Forecast.Inference.Onnx;

/// <summary>
/// Loads and validates the served model while the host starts, before any hosted service (the silo,
/// the Kafka consumer) starts: a bad model stops the host with its reason.
/// </summary>
internal sealed class ModelLoader(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<BatchingForecaster>();
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
