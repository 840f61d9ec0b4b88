using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>
/// `-n NAME` renames every file, folder, solution entry, namespace and cloud resource prefix, including
/// names with dots and hyphens (the case that breaks templates whose sourceName forms coincide).
/// </summary>
public sealed partial class NamingTests(TemplateHive hive)
{
    /// <summary>The forms of the sourceName in template content; none may survive instantiation.</summary>
    private static readonly string[] TemplateTokens = ["CloudRunSpace-1", "CloudRunSpace_1", "cloudrunspace-app"];

    /// <summary>Names with dots, and with dots and a hyphen.</summary>
    public static TheoryData<string> Names => ["Acme.Shop", "My.Cloud-App"];

    /// <summary>A name and the C# namespace it must become.</summary>
    public static TheoryData<string, string> NamespaceRoots => new()
    {
        { "Acme.Shop", "Acme.Shop" },
        { "My.Cloud-App", "My.Cloud_App" },
    };

    /// <summary>A name and the DNS-safe resource-name prefix it must become.</summary>
    public static TheoryData<string, string> Slugs => new()
    {
        { "Acme.Shop", "acme-shop" },
        { "My.Cloud-App", "my-cloud-app" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_name_with_dots_and_a_hyphen_instantiates(string name)
    {
        var space = await hive.SharedInstantiationAsync(name);

        Assert.True(space.ExitCode == 0, $"dotnet new exited {space.ExitCode}:{Environment.NewLine}{space.Output}");
        Assert.NotEmpty(space.Files);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task No_file_name_or_text_keeps_a_form_of_the_source_name(string name)
    {
        var space = await hive.SharedInstantiationAsync(name);
        Assert.NotEmpty(space.Files);

        var leftovers = space.Files
            .Where(f => TemplateTokens.Any(t => f.Contains(t, StringComparison.OrdinalIgnoreCase)))
            .Select(f => $"file name: {f}")
            .Concat(GeneratedFiles.TextFiles(space).SelectMany(file => TemplateTokens
                .Where(t => file.Text.Contains(t, StringComparison.OrdinalIgnoreCase))
                .Select(t => $"text of {file.Path}: {t}")))
            .ToList();

        Assert.True(leftovers.Count == 0, $"Template tokens left in the output:{Environment.NewLine}{string.Join(Environment.NewLine, leftovers)}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Every_primary_output_exists_under_the_new_name(string name)
    {
        var config = TemplateConfig.Load();
        var space = await hive.SharedInstantiationAsync(name);

        // Default options: every primary output applies (the tests project's condition is Tests=true).
        var expected = (config.Template["primaryOutputs"] as JsonArray ?? [])
            .Select(o => ((string?)o?["path"] ?? "").Replace(config.SourceName, name, StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(expected);

        Assert.All(expected, path => Assert.True(File.Exists(space.PathOf(path)), $"Missing {path} in {space.OutputDirectory}"));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task The_solution_lists_exactly_the_projects_on_disk(string name)
    {
        var space = await hive.SharedInstantiationAsync(name);
        var solution = $"{name}.sln";
        Assert.True(File.Exists(space.PathOf(solution)), $"No {solution}; files: {string.Join(", ", space.Files)}");

        var listed = SolutionFile.ProjectPaths(space.PathOf(solution));
        var onDisk = GeneratedFiles.WithExtension(space, ".csproj");

        Assert.NotEmpty(listed);
        Assert.All(listed, p => Assert.True(File.Exists(space.PathOf(p)), $"{solution} lists {p}, which does not exist."));
        Assert.Equal(onDisk.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Every_project_reference_points_to_a_generated_project(string name)
    {
        var space = await hive.SharedInstantiationAsync(name);
        var projects = GeneratedFiles.WithExtension(space, ".csproj");
        Assert.NotEmpty(projects);

        var references = projects.SelectMany(project =>
            XDocument.Load(space.PathOf(project)).Descendants("ProjectReference")
                .Select(r => (Project: project, Include: ((string?)r.Attribute("Include") ?? "").Replace('\\', '/'))))
            .ToList();
        Assert.NotEmpty(references);

        Assert.All(references, r =>
        {
            var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(space.PathOf(r.Project))!, r.Include));
            Assert.True(File.Exists(target), $"{r.Project} references {r.Include}, which does not exist.");
        });
    }

    [Theory]
    [MemberData(nameof(NamespaceRoots))]
    public async Task Every_namespace_starts_with_the_csharp_form_of_the_name(string name, string namespaceRoot)
    {
        var space = await hive.SharedInstantiationAsync(name);

        var declarations = GeneratedFiles.TextFiles(space)
            .Where(f => f.Path.EndsWith(".cs", StringComparison.Ordinal) || f.Path.EndsWith(".razor", StringComparison.Ordinal) || f.Path.EndsWith(".cshtml", StringComparison.Ordinal))
            .SelectMany(f => NamespaceDeclaration().Matches(f.Text).Select(m => (f.Path, Namespace: m.Groups["ns"].Value)))
            .ToList();
        Assert.NotEmpty(declarations);

        var wrong = declarations
            .Where(d => d.Namespace != namespaceRoot && !d.Namespace.StartsWith(namespaceRoot + ".", StringComparison.Ordinal))
            .Select(d => $"{d.Path}: {d.Namespace}")
            .ToList();
        Assert.True(wrong.Count == 0, $"Namespaces outside {namespaceRoot}:{Environment.NewLine}{string.Join(Environment.NewLine, wrong)}");
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public async Task A_generated_file_carries_the_dns_safe_form_of_the_name(string name, string slug)
    {
        if (!TemplateSource.AnyFileContains("cloudrunspace-app"))
        {
            Assert.Skip("No template file uses the resource-name token cloudrunspace-app yet (deploy/ is being written).");
        }

        var space = await hive.SharedInstantiationAsync(name);

        Assert.Contains(GeneratedFiles.TextFiles(space), f => f.Text.Contains(slug, StringComparison.Ordinal));
    }

    // `namespace X;`, `namespace X {` and Razor's `@namespace X`.
    [GeneratedRegex(@"^\s*@?namespace\s+(?<ns>[A-Za-z_][\w.]*)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
