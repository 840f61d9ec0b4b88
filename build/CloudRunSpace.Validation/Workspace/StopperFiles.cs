namespace CloudRunSpace.Validation.Workspace;

/// <summary>
/// The files that make a folder a boundary for generated solutions below it: MSBuild, NuGet, the SDK resolver and
/// editorconfig stop their upward search there, so settings from above (this repository, a developer's home) can
/// neither leak into generated code nor hide its problems.
/// </summary>
public static class StopperFiles
{
    // The stopper files by name, with the SDK pinned by the given global.json text.
    private static Dictionary<string, string> Contents(string sdkGlobalJson) => new Dictionary<string, string>
    {
        ["Directory.Build.props"] = "<Project>\n  <!-- Stopper: the build settings above must not reach generated solutions. -->\n</Project>\n",
        ["Directory.Build.targets"] = "<Project>\n  <!-- Stopper: the build targets above must not reach generated solutions. -->\n</Project>\n",
        ["Directory.Packages.props"] = "<Project>\n  <!-- Stopper: central package versions come from the generated solution only. -->\n</Project>\n",
        [".editorconfig"] = "# Stopper: generated solutions use their own .editorconfig only.\nroot = true\n",
        ["nuget.config"] =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
            "<!-- Stopper: generated solutions restore from nuget.org alone, as on a new user's machine. -->\n" +
            "<configuration>\n  <packageSources>\n    <clear />\n" +
            "    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" protocolVersion=\"3\" />\n" +
            "  </packageSources>\n</configuration>\n",
        ["global.json"] = sdkGlobalJson,
    };

    /// <summary>Creates <paramref name="folder"/> if needed and writes the stopper files into it.</summary>
    /// <param name="folder">The folder generated solutions will be written below.</param>
    /// <param name="sdkGlobalJson">The global.json text to pin the SDK with (the repository's own).</param>
    public static void Write(string folder, string sdkGlobalJson)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in Contents(sdkGlobalJson))
        {
            File.WriteAllText(Path.Combine(folder, name), content);
        }
    }
}
