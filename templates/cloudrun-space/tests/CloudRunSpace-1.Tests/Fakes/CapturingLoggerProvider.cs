using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// Keeps every log entry a host writes, as text: message, exception, structured values and scopes, so a test
/// can prove a secret never reaches any of them. It sits behind the service's own log-level filters, like the
/// console logger it stands beside.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>The entries so far, oldest first.</summary>
    public IReadOnlyCollection<string> Entries => _entries.ToArray();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, this);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = new StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    entry.Append($" | {key}={value}");
                }
            }

            provider._scopes.ForEachScope((scope, text) => text.Append($" | scope {scope}"), entry);
            if (exception is not null)
            {
                entry.Append('\n').Append(exception);
            }

            provider._entries.Enqueue(entry.ToString());
        }
    }
}
