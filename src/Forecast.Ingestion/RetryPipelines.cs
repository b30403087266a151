using Polly;
using Polly.Retry;

namespace Forecast.Ingestion;

/// <summary>
/// Ingestion's one retry policy (Kafka, MQTT): a failed step is tried again until it succeeds or ingestion stops,
/// with exponential backoff and jitter up to a cap, waiting on the injected clock. Its readings or
/// offsets stay in flight meanwhile, so nothing is committed past them.
/// </summary>
internal static class RetryPipelines
{
    /// <summary>Builds the pipeline; the execution's cancellation token is the stop signal.</summary>
    /// <param name="delay">Typical delay before the first retry; later ones grow exponentially.</param>
    /// <param name="maxDelay">Longest delay between retries.</param>
    /// <param name="clock">Clock the delays are waited on.</param>
    /// <param name="isRetryable">Which exceptions are retried (never once stopping).</param>
    /// <param name="onRetry">Logs the failure and prepares the next attempt.</param>
    public static ResiliencePipeline UntilStopped(
        TimeSpan delay,
        TimeSpan maxDelay,
        TimeProvider clock,
        Func<Exception, bool> isRetryable,
        Func<OnRetryArguments<object>, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } exception && !args.Context.CancellationToken.IsCancellationRequested && isRetryable(exception)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = delay,
                MaxDelay = maxDelay,
                OnRetry = onRetry,
            })
            .Build();
}
