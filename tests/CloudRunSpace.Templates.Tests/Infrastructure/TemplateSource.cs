namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>The solution template's content files in the repository (what the package ships, before instantiation).</summary>
public static class TemplateSource
{
    private static readonly string[] NotContent = [".template.config", "bin", "obj", "TestResults", ".local"];

    /// <summary>Every content file, as '/'-separated paths relative to <see cref="RepositoryPaths.TemplateFolder"/>.</summary>
    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(RepositoryPaths.TemplateFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryPaths.TemplateFolder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.Split('/').SkipLast(1).Any(NotContent.Contains));

    /// <summary>Whether any content file's text contains <paramref name="text"/> (ordinal).</summary>
    /// <param name="text">The text to look for, e.g. a replacement token.</param>
    public static bool AnyFileContains(string text) =>
        Files().Any(f => File.ReadAllText(Path.Combine(RepositoryPaths.TemplateFolder, f)).Contains(text, StringComparison.Ordinal));
}
