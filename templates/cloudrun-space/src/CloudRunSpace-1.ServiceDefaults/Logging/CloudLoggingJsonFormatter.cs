using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.ServiceDefaults.Logging;

/// <summary>
/// Writes each log entry as one JSON object per line in the shape Cloud Logging reads from a container's
/// stdout: <c>severity</c>, <c>message</c>, <c>time</c>, the trace and span of the current activity (so log
/// lines group under their request's trace), and the exception text where Error Reporting finds it.
/// </summary>
public sealed class CloudLoggingJsonFormatter : ConsoleFormatter, IDisposable
{
    /// <summary>The name this formatter is registered under.</summary>
    public const string FormatterName = "cloud-logging-json";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Cloud Logging reads UTF-8; escaping only what JSON requires keeps messages readable in the console.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IDisposable? _optionsReloadToken;
    private CloudLoggingJsonFormatterOptions _options;

    /// <summary>Creates the formatter with options that may change at run time.</summary>
    public CloudLoggingJsonFormatter(IOptionsMonitor<CloudLoggingJsonFormatterOptions> options)
        : base(FormatterName)
    {
        _options = options.CurrentValue;
        _optionsReloadToken = options.OnChange(updated => _options = updated);
    }

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("severity", ToSeverity(logEntry.LogLevel));
            writer.WriteString("message", message ?? logEntry.Exception!.Message);
            writer.WriteString("time", (_options.TimeProvider ?? TimeProvider.System).GetUtcNow());
            writer.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Id != 0 || logEntry.EventId.Name is not null)
            {
                writer.WriteNumber("eventId", logEntry.EventId.Id);
            }

            WriteTrace(writer, Activity.Current, _options.ProjectId);

            if (logEntry.Exception is not null)
            {
                // Error Reporting groups errors by the stack trace found in this field.
                writer.WriteString("stack_trace", logEntry.Exception.ToString());
            }

            WriteState(writer, logEntry.State);
            writer.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write('\n');
    }

    /// <summary>Maps a .NET log level to a Cloud Logging severity.</summary>
    public static string ToSeverity(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "CRITICAL",
        _ => "DEFAULT",
    };

    /// <inheritdoc />
    public void Dispose() => _optionsReloadToken?.Dispose();

    private static void WriteTrace(Utf8JsonWriter writer, Activity? activity, string? projectId)
    {
        if (activity is null || activity.TraceId == default)
        {
            return;
        }

        var traceId = activity.TraceId.ToHexString();
        // Cloud Logging links a line to its trace only through the full resource name of the trace.
        writer.WriteString("logging.googleapis.com/trace", projectId is null ? traceId : $"projects/{projectId}/traces/{traceId}");
        writer.WriteString("logging.googleapis.com/spanId", activity.SpanId.ToHexString());
        writer.WriteBoolean("logging.googleapis.com/trace_sampled", activity.Recorded);
    }

    private static void WriteState<TState>(Utf8JsonWriter writer, TState state)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> properties)
        {
            return;
        }

        var started = false;
        foreach (var (key, value) in properties)
        {
            // "{OriginalFormat}" is the message template: the rendered message is already written.
            if (key == "{OriginalFormat}")
            {
                continue;
            }

            if (!started)
            {
                writer.WriteStartObject("fields");
                started = true;
            }

            writer.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        }

        if (started)
        {
            writer.WriteEndObject();
        }
    }
}
