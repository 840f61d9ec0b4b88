using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

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
        // Registered by hand: AddConsoleFormatter would also bind the formatter's options from configuration by
        // reflection, which Native AOT cannot keep; these options are only ever set in code.
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, CloudLoggingJsonFormatter>());
        logging.Services.Configure<CloudLoggingJsonFormatterOptions>(options => options.ProjectId = projectId);
        return logging;
    }
}
