using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CloudRunSpace_1.ServiceDefaults;

/// <summary>
/// What the Cloud Run container contract tells the process about where it runs.
/// </summary>
/// <param name="Service">The Cloud Run service name (<c>K_SERVICE</c>), or null when not on Cloud Run.</param>
/// <param name="Revision">The revision name (<c>K_REVISION</c>), or null.</param>
/// <param name="Port">The port to listen on (<c>PORT</c>), or null when not given.</param>
/// <param name="ProjectId">The Google Cloud project (<c>GOOGLE_CLOUD_PROJECT</c>), used for trace ids in logs.</param>
public sealed record CloudRunEnvironment(string? Service, string? Revision, int? Port, string? ProjectId)
{
    /// <summary>The port Cloud Run uses when it does not say otherwise.</summary>
    public const int DefaultPort = 8080;

    /// <summary>True when the process runs as a Cloud Run service (<c>K_SERVICE</c> is set).</summary>
    public bool IsCloudRun => !string.IsNullOrEmpty(Service);

    /// <summary>The Cloud Run job name (<c>CLOUD_RUN_JOB</c>), or null when not run as a job's task.</summary>
    public string? Job { get; init; }

    /// <summary>True when the process runs as a task of a Cloud Run job (<c>CLOUD_RUN_JOB</c> is set).</summary>
    public bool IsCloudRunJob => !string.IsNullOrEmpty(Job);

    /// <summary>Reads the Cloud Run variables from configuration (environment variables included).</summary>
    /// <exception cref="InvalidOperationException"><c>PORT</c> is not a TCP port number.</exception>
    public static CloudRunEnvironment FromConfiguration(IConfiguration configuration)
    {
        var portText = configuration["PORT"];
        int? port = null;
        if (!string.IsNullOrWhiteSpace(portText))
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
            {
                throw new InvalidOperationException($"PORT must be a TCP port number from 1 to 65535, not '{portText}'.");
            }

            port = parsed;
        }

        return new CloudRunEnvironment(
            NullIfEmpty(configuration["K_SERVICE"]),
            NullIfEmpty(configuration["K_REVISION"]),
            port,
            NullIfEmpty(configuration["GOOGLE_CLOUD_PROJECT"]))
        {
            Job = NullIfEmpty(configuration["CLOUD_RUN_JOB"]),
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
