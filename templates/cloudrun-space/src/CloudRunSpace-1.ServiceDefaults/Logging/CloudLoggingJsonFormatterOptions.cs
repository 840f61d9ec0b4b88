using Microsoft.Extensions.Logging.Console;

namespace CloudRunSpace_1.ServiceDefaults.Logging;

/// <summary>Options of <see cref="CloudLoggingJsonFormatter"/>.</summary>
public sealed class CloudLoggingJsonFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>
    /// The Google Cloud project id, needed to write the trace as <c>projects/ID/traces/TRACE</c>, the form
    /// Cloud Logging links to Cloud Trace.
    /// </summary>
    public string? ProjectId { get; set; }

    /// <summary>The clock for the <c>time</c> field; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
