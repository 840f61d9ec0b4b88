namespace CloudRunSpace.Validation.Workspace;

/// <summary>A folder with <see cref="StopperFiles"/> that generated solutions are written below, each into a fresh folder.</summary>
public sealed class IsolatedWorkspace
{
    private int _counter;

    private IsolatedWorkspace(string root) => Root = root;

    /// <summary>The workspace folder; output folders are created below it.</summary>
    public string Root { get; }

    /// <summary>Creates a workspace folder <c>work</c> under <paramref name="parent"/> with the stopper files written.</summary>
    /// <param name="parent">An existing folder, normally a per-run temp folder.</param>
    /// <param name="sdkGlobalJson">The global.json text to pin the SDK with (the repository's own).</param>
    public static IsolatedWorkspace Create(string parent, string sdkGlobalJson)
    {
        var root = Path.Combine(parent, "work");
        StopperFiles.Write(root, sdkGlobalJson);
        return new IsolatedWorkspace(Path.GetFullPath(root));
    }

    /// <summary>A fresh, not yet existing folder name below <see cref="Root"/>, unique within this workspace.</summary>
    /// <param name="hint">A readable part of the name, e.g. the variant being generated.</param>
    /// <returns>The folder name relative to <see cref="Root"/>.</returns>
    public string NewFolderName(string hint)
    {
        var safeHint = new string(hint.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray());
        return $"{Interlocked.Increment(ref _counter):D3}-{safeHint}";
    }
}
