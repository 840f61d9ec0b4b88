namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>
/// Where things are in this repository, found from the test assembly's location (works from any working
/// directory, in an IDE, under `dotnet test` and in CI's fresh clone).
/// </summary>
public static class RepositoryPaths
{
    /// <summary>The file that marks the repository root.</summary>
    public const string SolutionFileName = "CloudRunSpaceTemplates.sln";

    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root: the nearest folder above the test assembly holding <see cref="SolutionFileName"/>.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>The `dotnet new` template pack project, <c>templates/CloudRunSpace.Templates.csproj</c>.</summary>
    public static string TemplatePackProject => Path.Combine(RepositoryRoot, "templates", "CloudRunSpace.Templates.csproj");

    /// <summary>The solution template's source folder, <c>templates/cloudrun-space</c>.</summary>
    public static string TemplateFolder => Path.Combine(RepositoryRoot, "templates", "cloudrun-space");

    /// <summary>The solution template's <c>.template.config</c> folder.</summary>
    public static string TemplateConfigFolder => Path.Combine(TemplateFolder, ".template.config");

    /// <summary>
    /// The name of every template of the pack: each folder under <c>templates/</c> that holds a
    /// <c>.template.config/template.json</c> (computed, so a new template is checked without being listed).
    /// </summary>
    public static IReadOnlyList<string> TemplateNames =>
        Directory.GetDirectories(Path.Combine(RepositoryRoot, "templates"))
            .Where(folder => File.Exists(Path.Combine(folder, ".template.config", "template.json")))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>The <c>.template.config</c> folder of the template <paramref name="templateName"/>.</summary>
    public static string ConfigFolderOf(string templateName) => Path.Combine(RepositoryRoot, "templates", templateName, ".template.config");

    /// <summary>The JSON schemas folder, <c>tests/schemas</c> (SchemaStore copies, kept in the repository).</summary>
    public static string SchemasFolder => Path.Combine(RepositoryRoot, "tests", "schemas");

    /// <summary>The path of one schema file in <see cref="SchemasFolder"/>, checked to exist.</summary>
    /// <param name="fileName">The schema file name, e.g. <c>template.json</c>.</param>
    /// <exception cref="FileNotFoundException">The schema file is missing; the message names the path.</exception>
    public static string Schema(string fileName)
    {
        var path = Path.Combine(SchemasFolder, fileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"JSON schema not found: {path}", path);
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, SolutionFileName)))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException(
            $"No folder above {AppContext.BaseDirectory} holds {SolutionFileName}: run the tests from inside the repository.");
    }
}
