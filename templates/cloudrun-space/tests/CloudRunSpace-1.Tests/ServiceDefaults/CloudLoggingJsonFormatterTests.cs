using System.Diagnostics;
using System.Text.Json;
using CloudRunSpace_1.ServiceDefaults.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Tests.ServiceDefaults;

/// <summary>Log lines on Cloud Run: one JSON object each, in the shape Cloud Logging reads.</summary>
public sealed class CloudLoggingJsonFormatterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_line_inside_a_request_carries_severity_message_and_the_trace_of_the_request()
    {
        using var activity = new Activity("request").SetIdFormat(ActivityIdFormat.W3C);
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        activity.Start();

        var line = Format(LogLevel.Warning, "Stock of {Item} is low", ("Item", "apples"));

        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("WARNING", root.GetProperty("severity").GetString());
        Assert.Equal("Stock of apples is low", root.GetProperty("message").GetString());
        Assert.Equal(Now, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal($"projects/my-project/traces/{activity.TraceId.ToHexString()}", root.GetProperty("logging.googleapis.com/trace").GetString());
        Assert.Equal(activity.SpanId.ToHexString(), root.GetProperty("logging.googleapis.com/spanId").GetString());
        Assert.True(root.GetProperty("logging.googleapis.com/trace_sampled").GetBoolean());
        Assert.Equal("apples", root.GetProperty("fields").GetProperty("Item").GetString());
        Assert.EndsWith("\n", line);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_line_outside_any_request_has_no_trace()
    {
        Assert.Null(Activity.Current);

        using var json = JsonDocument.Parse(Format(LogLevel.Information, "Started"));

        Assert.Equal("INFO", json.RootElement.GetProperty("severity").GetString());
        Assert.False(json.RootElement.TryGetProperty("logging.googleapis.com/trace", out _));
    }

    [Fact]
    public void An_exception_is_written_whole_where_Error_Reporting_finds_it()
    {
        Exception error;
        try
        {
            throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException caught)
        {
            error = caught;
        }

        using var json = JsonDocument.Parse(Format(LogLevel.Error, "Failed", exception: error));

        Assert.Equal("ERROR", json.RootElement.GetProperty("severity").GetString());
        var stackTrace = json.RootElement.GetProperty("stack_trace").GetString();
        Assert.StartsWith("System.InvalidOperationException: boom", stackTrace);
        Assert.Contains(nameof(An_exception_is_written_whole_where_Error_Reporting_finds_it), stackTrace);
    }

    [Theory]
    [InlineData(LogLevel.Trace, "DEBUG")]
    [InlineData(LogLevel.Debug, "DEBUG")]
    [InlineData(LogLevel.Information, "INFO")]
    [InlineData(LogLevel.Warning, "WARNING")]
    [InlineData(LogLevel.Error, "ERROR")]
    [InlineData(LogLevel.Critical, "CRITICAL")]
    public void Levels_map_to_Cloud_Logging_severities(LogLevel level, string severity) =>
        Assert.Equal(severity, CloudLoggingJsonFormatter.ToSeverity(level));

    [Fact]
    public void Quotes_and_newlines_in_messages_stay_inside_one_JSON_line()
    {
        var line = Format(LogLevel.Information, "{Text}", ("Text", "a \"quoted\"\nsecond line"));

        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("a \"quoted\"\nsecond line", json.RootElement.GetProperty("message").GetString());
    }

    private static string Format(LogLevel level, string template, params (string Name, object Value)[] values) =>
        Format(level, template, null, values);

    private static string Format(LogLevel level, string template, Exception? exception, params (string Name, object Value)[] values)
    {
        var options = new CloudLoggingJsonFormatterOptions { ProjectId = "my-project", TimeProvider = new FixedClock(Now) };
        using var formatter = new CloudLoggingJsonFormatter(new FixedOptionsMonitor(options));
        var state = values.Select(value => new KeyValuePair<string, object?>(value.Name, value.Value))
            .Append(new KeyValuePair<string, object?>("{OriginalFormat}", template))
            .ToList();
        var message = values.Aggregate(template, (text, value) => text.Replace("{" + value.Name + "}", value.Value.ToString(), StringComparison.Ordinal));
        var writer = new StringWriter();

        formatter.Write(new LogEntry<List<KeyValuePair<string, object?>>>(level, "Tests", default, state, exception, (_, _) => message), null, writer);
        return writer.ToString();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class FixedOptionsMonitor(CloudLoggingJsonFormatterOptions value) : IOptionsMonitor<CloudLoggingJsonFormatterOptions>
    {
        public CloudLoggingJsonFormatterOptions CurrentValue => value;

        public CloudLoggingJsonFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<CloudLoggingJsonFormatterOptions, string?> listener) => null;
    }
}
