using System.Collections.Concurrent;

namespace Forecast.Testing;

/// <summary>A logger provider that keeps every line logged, with its level, for tests that check what was said and how often.</summary>
public sealed class LogLines : ILoggerProvider
{
    /// <summary>Every line so far, in order: level and the formatted message.</summary>
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    /// <summary>The messages logged at <paramref name="level"/>.</summary>
    public List<string> At(LogLevel level) => [.. Lines.Where(l => l.Level == level).Select(l => l.Message)];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
