using System.Net;
using Polly;
using Polly.Retry;

namespace Forecast.Alerting.Outbox;

/// <summary>
/// One HTTP attempt at a receiver, and what its answer means: delivered; retry (no connection, timeout, 408,
/// 5xx, and 429/503 after their <c>Retry-After</c>); rejected for good (any other 4xx, logged with the body);
/// gone (410). <see cref="UntilDelivered"/> retries with exponential backoff and jitter (Polly).
/// </summary>
internal sealed class ReceiverClient(HttpClient http, TimeSpan requestTimeout, TimeProvider clock)
{
    /// <summary>Retries until the receiver takes the request, refuses it for good, or the worker stops.</summary>
    public static ResiliencePipeline<SendOutcome> UntilDelivered(OutboxOptions options, TimeProvider clock, Action<int, string, TimeSpan> onRetry) =>
        new ResiliencePipelineBuilder<SendOutcome> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<SendOutcome>
            {
                ShouldHandle = args => ValueTask.FromResult(!args.Context.CancellationToken.IsCancellationRequested && args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutException or TaskCanceledException } => true,
                    { Result.Kind: OutcomeKind.Retry } => true,
                    _ => false,
                }),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception is { } exception ? (exception.InnerException ?? exception).Message : args.Outcome.Result?.Reason ?? "unknown";
                    onRetry(args.AttemptNumber + 1, reason, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    public async ValueTask<SendOutcome> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        using var request = create();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        using var response = await http.SendAsync(request, timeout.Token);
        if (response.IsSuccessStatusCode)
        {
            return new SendOutcome(OutcomeKind.Delivered);
        }

        var status = (int)response.StatusCode;
        var body = await Excerpt(response, timeout.Token);
        var reason = $"HTTP {status} {response.ReasonPhrase}: {body}";
        return response.StatusCode switch
        {
            HttpStatusCode.Gone => new SendOutcome(OutcomeKind.Gone, reason),
            HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => new SendOutcome(OutcomeKind.Retry, reason, RetryAfter(response)),
            HttpStatusCode.RequestTimeout => new SendOutcome(OutcomeKind.Retry, reason),
            _ when status >= 500 => new SendOutcome(OutcomeKind.Retry, reason),
            _ => new SendOutcome(OutcomeKind.Rejected, reason),
        };
    }

    private static async Task<string> Excerpt(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return body.Length <= 500 ? body : body[..500] + "...";
    }

    /// <summary>How long the receiver asked to wait (seconds or a date), at most an hour; null to back off as usual.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - clock.GetUtcNow() : null);
        return wait is { } w ? TimeSpan.FromTicks(Math.Clamp(w.Ticks, 0, TimeSpan.FromHours(1).Ticks)) : null;
    }
}

/// <summary>What a receiver's answer means.</summary>
internal enum OutcomeKind
{
    Delivered,
    Retry,
    Rejected,
    Gone,
}

/// <summary>An answer, the reason to log, and how long the receiver asked to wait.</summary>
internal sealed record SendOutcome(OutcomeKind Kind, string Reason = "", TimeSpan? RetryAfter = null);
