// The folder that generated solutions are written into sits inside this repository, so it gets stopper files:
// MSBuild, NuGet, the SDK resolver and editorconfig stop their upward search here and the repository's own
// settings cannot leak into (or hide problems of) the generated code.
void WriteStopperFiles(DirectoryPath root, FilePath repositoryGlobalJson)
{
    EnsureDirectoryExists(root);
    var files = new Dictionary<string, string>
    {
        ["Directory.Build.props"] = "<Project>\n  <!-- Stopper: the repository's build settings must not reach generated solutions. -->\n</Project>\n",
        ["Directory.Build.targets"] = "<Project>\n  <!-- Stopper: the repository's build targets must not reach generated solutions. -->\n</Project>\n",
        ["Directory.Packages.props"] = "<Project>\n  <!-- Stopper: central package versions come from the generated solution only. -->\n</Project>\n",
        [".editorconfig"] = "# Stopper: generated solutions use their own .editorconfig only.\nroot = true\n",
        ["nuget.config"] =
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
            "<!-- Stopper: generated solutions restore from nuget.org alone, as on a new user's machine. -->\n" +
            "<configuration>\n  <packageSources>\n    <clear />\n" +
            "    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" protocolVersion=\"3\" />\n" +
            "  </packageSources>\n</configuration>\n",
        ["global.json"] = System.IO.File.ReadAllText(repositoryGlobalJson.FullPath),
    };
    foreach (var (name, content) in files)
        System.IO.File.WriteAllText(root.CombineWithFilePath(name).FullPath, content);
}
