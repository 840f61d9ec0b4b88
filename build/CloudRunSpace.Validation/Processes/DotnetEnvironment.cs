namespace CloudRunSpace.Validation.Processes;

/// <summary>Environment variables for a child <c>dotnet</c>.</summary>
public static class DotnetEnvironment
{
    /// <summary>
    /// Keeps a child <c>dotnet</c> quiet and deterministic: no logo, telemetry or first-run work, English messages
    /// (checks read "was created successfully"), no developer certificate, and no MSBuild node reuse or build
    /// server (a reused node inherits the redirected output and keeps the pipe open after the build exits).
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Quiet { get; } = new Dictionary<string, string?>
    {
        ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_UI_LANGUAGE"] = "en", ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
        ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
    };

    /// <summary>
    /// The <c>dotnet</c> to start: the one running this process where the SDK says so (DOTNET_HOST_PATH, set under
    /// <c>dotnet test</c>), else <c>dotnet</c> from PATH.
    /// </summary>
    public static string Executable =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary><see cref="Quiet"/> with <paramref name="extra"/> on top (a null value removes a variable).</summary>
    public static IReadOnlyDictionary<string, string?> QuietWith(IReadOnlyDictionary<string, string?>? extra)
    {
        var all = new Dictionary<string, string?>(Quiet);
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            all[name] = value;
        }

        return all;
    }
}
