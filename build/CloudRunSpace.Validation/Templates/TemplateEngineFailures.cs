namespace CloudRunSpace.Validation.Templates;

/// <summary>
/// The template engine's failures that still exit 0 (an invalid template at install, a failed restore post action,
/// localization errors): the output is read as well as the exit code. The one list for the build and the pack's tests.
/// </summary>
public static class TemplateEngineFailures
{
    /// <summary>Each marker the output may contain, with what it means.</summary>
    public static IReadOnlyList<(string Marker, string Meaning)> Markers { get; } =
    [
        ("No templates were found", "the package holds no valid template"),
        ("[MV", "template metadata validation error"),
        ("Error", "the template engine reported an error"),
        ("Restore failed", "a restore post action failed"),
        ("Post action failed", "a post action failed"),
        ("LOC00", "localization error"),
    ];

    /// <summary>The first marker in <paramref name="output"/>, or null.</summary>
    /// <param name="output">What dotnet new printed.</param>
    public static (string Marker, string Meaning)? Find(string output)
    {
        foreach (var marker in Markers)
        {
            if (output.Contains(marker.Marker, StringComparison.Ordinal))
            {
                return marker;
            }
        }

        return null;
    }

    /// <summary>Why a dotnet new run failed, or null when it passed: its exit code, else a marker in its output.</summary>
    /// <param name="exitCode">Its exit code.</param>
    /// <param name="output">What it printed.</param>
    public static string? Problem(int exitCode, string output) =>
        exitCode != 0 ? $"exit code {exitCode}"
        : Find(output) is { } found ? $"{found.Meaning} (output contains '{found.Marker}') although it exited 0"
        : null;
}
