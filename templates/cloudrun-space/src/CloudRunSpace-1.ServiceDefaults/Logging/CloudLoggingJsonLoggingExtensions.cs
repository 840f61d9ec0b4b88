using Microsoft.Extensions.Logging;

namespace CloudRunSpace_1.ServiceDefaults.Logging;

/// <summary>Registers the Cloud Logging JSON console format.</summary>
public static class CloudLoggingJsonLoggingExtensions
{
    /// <summary>
    /// Replaces the console log format with one JSON object per line in the Cloud Logging shape.
    /// </summary>
    /// <param name="logging">The logging builder.</param>
    /// <param name="projectId">The Google Cloud project, for trace ids; null leaves traces unqualified.</param>
    public static ILoggingBuilder AddCloudLoggingJsonConsole(this ILoggingBuilder logging, string? projectId)
    {
        logging.ClearProviders();
        logging.AddConsole(options => options.FormatterName = CloudLoggingJsonFormatter.FormatterName);
        logging.AddConsoleFormatter<CloudLoggingJsonFormatter, CloudLoggingJsonFormatterOptions>(options => options.ProjectId = projectId);
        return logging;
    }
}
