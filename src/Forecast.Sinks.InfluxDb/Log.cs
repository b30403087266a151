
namespace Forecast.Sinks.InfluxDb;

/// <summary>The sink's log messages. None of them carries a token or password.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "InfluxDB sink writing to {Target}: batches of {BatchSize} lines, buffer of {Capacity} lines, gzip {Gzip}, precision ns")]
    public static partial void Started(ILogger logger, string target, int batchSize, int capacity, bool gzip);

    [LoggerMessage(2, LogLevel.Warning, "InfluxDB write of {Lines} lines failed (attempt {Attempt}), retrying in {Delay}: {Error}")]
    public static partial void Retrying(ILogger logger, int lines, int attempt, TimeSpan delay, string error);

    [LoggerMessage(3, LogLevel.Information, "InfluxDB writes resumed after {Attempts} failed attempts")]
    public static partial void Resumed(ILogger logger, int attempts);

    [LoggerMessage(4, LogLevel.Error, "InfluxDB refused {Count} line(s) for good (HTTP {Status}): {Error}; first offending line: {Line}")]
    public static partial void Rejected(ILogger logger, int count, int status, string error, string line);

    [LoggerMessage(5, LogLevel.Error, "Refused a batch before sending ({NonFinite} non-finite values): {Reason}")]
    public static partial void InvalidBatch(ILogger logger, int nonFinite, string reason);

    [LoggerMessage(6, LogLevel.Error, "InfluxDB write of {Lines} lines gave up after {Attempts} attempts: {Error}")]
    public static partial void GaveUp(ILogger logger, int lines, int attempts, string error);

    [LoggerMessage(7, LogLevel.Warning, "InfluxDB sink stopped with {Lines} lines not written; their callers were told")]
    public static partial void StoppedWithPending(ILogger logger, long lines);

    [LoggerMessage(8, LogLevel.Critical, "InfluxDB sink writer failed unexpectedly; the batch's callers were told")]
    public static partial void WriterFailed(ILogger logger, Exception exception);
}
