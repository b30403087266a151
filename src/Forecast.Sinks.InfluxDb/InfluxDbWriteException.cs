namespace Forecast.Sinks.InfluxDb;

/// <summary>
/// A batch could not be durably written: its retries ran out (only when
/// <see cref="InfluxDbSinkOptions.MaxRetries"/> is set) or the sink stopped first. The data itself may
/// be fine; write it again later.
/// </summary>
public class InfluxDbWriteException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public InfluxDbWriteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public InfluxDbWriteException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// InfluxDB refused some lines of the batch for good (a 400/422 partial write: unparsable line, field
/// type conflict, point outside the retention policy, …). The batch's other lines were written.
/// Retrying will not help: dead-letter the input.
/// </summary>
public sealed class InfluxDbRejectedException : InfluxDbWriteException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was refused and why.</param>
    /// <param name="statusCode">The HTTP status of the refusal.</param>
    /// <param name="serverError">The server's error text.</param>
    /// <param name="offendingLines">The refused lines of this batch, as line protocol.</param>
    public InfluxDbRejectedException(string message, int statusCode, string serverError, IReadOnlyList<string> offendingLines)
        : base(message)
    {
        StatusCode = statusCode;
        ServerError = serverError;
        OffendingLines = offendingLines;
    }

    /// <summary>The HTTP status of the refusal (400, 413 or 422).</summary>
    public int StatusCode { get; }

    /// <summary>The server's error text.</summary>
    public string ServerError { get; }

    /// <summary>The refused lines of this batch, as line protocol.</summary>
    public IReadOnlyList<string> OffendingLines { get; }
}

/// <summary>
/// The batch holds values that cannot be written: non-finite numbers (NaN, ±∞) or tags that line
/// protocol cannot carry. Nothing of the batch was sent. Dead-letter the input.
/// </summary>
public sealed class InfluxDbInvalidPointException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which values are invalid.</param>
    /// <param name="nonFiniteValues">How many non-finite values the batch held.</param>
    public InfluxDbInvalidPointException(string message, int nonFiniteValues)
        : base(message)
    {
        NonFiniteValues = nonFiniteValues;
    }

    /// <summary>How many non-finite values the batch held.</summary>
    public int NonFiniteValues { get; }
}
