namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>
/// A temporary folder that generated solutions are written into. It holds "stopper" files so that MSBuild,
/// NuGet, the SDK resolver and editors walking up from a generated solution stop here instead of picking up
/// settings from whatever lies above (a developer's home, another checkout).
/// </summary>
/// <remarks>The workspace lives inside the caller's temp folder and is deleted with it.</remarks>
public sealed class IsolatedWorkspace
{
    private int _counter;

    private IsolatedWorkspace(string root) => Root = root;

    /// <summary>The workspace folder; output folders are created below it.</summary>
    public string Root { get; }

    /// <summary>Creates a workspace under <paramref name="parent"/> with the stopper files written.</summary>
    /// <param name="parent">An existing folder, normally a per-run temp folder.</param>
    /// <param name="sdkGlobalJson">The global.json text to pin the SDK with (the repository's own).</param>
    public static IsolatedWorkspace Create(string parent, string sdkGlobalJson)
    {
        var root = Directory.CreateDirectory(Path.Combine(parent, "work")).FullName;
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), EmptyMsBuildProject);
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), EmptyMsBuildProject);
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), EmptyMsBuildProject);
        File.WriteAllText(Path.Combine(root, ".editorconfig"), "# Stops editorconfig lookup above generated solutions.\nroot = true\n");
        // Sources are not listed here: generated solutions bring their own nuget.config or use the user's.
        File.WriteAllText(Path.Combine(root, "nuget.config"), "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration />\n");
        File.WriteAllText(Path.Combine(root, "global.json"), sdkGlobalJson);
        return new IsolatedWorkspace(root);
    }

    /// <summary>A fresh, not yet existing folder name below <see cref="Root"/>, unique within this workspace.</summary>
    /// <param name="hint">A readable part of the name, e.g. the variant being generated.</param>
    /// <returns>The folder name relative to <see cref="Root"/>.</returns>
    public string NewFolderName(string hint)
    {
        var safeHint = new string(hint.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        return $"{Interlocked.Increment(ref _counter):D3}-{safeHint}";
    }

    private const string EmptyMsBuildProject =
        "<Project>\n  <!-- Stops MSBuild's upward search above generated solutions. -->\n</Project>\n";
}
