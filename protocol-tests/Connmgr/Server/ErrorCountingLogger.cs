using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pushpin.ProtocolTests.Connmgr.Server;

/// <summary>Keeps every error-level event (with its exception) so a test can assert none happened.</summary>
internal sealed class ErrorCountingLogger : ILogger
{
    public ConcurrentQueue<string> Errors { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (logLevel >= LogLevel.Error)
        {
            Errors.Enqueue($"{formatter(state, exception)} {exception}");
        }
    }
}
