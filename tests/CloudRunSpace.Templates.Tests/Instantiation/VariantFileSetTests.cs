using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>Each variant creates the files it should and none it should not (dry runs: nothing is written).</summary>
public sealed class VariantFileSetTests(TemplateHive hive)
{
    private const string Name = "Acme.Shop";
    private const string Frontend = "src/Acme.Shop.Frontend/";
    private const string TestsProject = "tests/Acme.Shop.Tests/Acme.Shop.Tests.csproj";

    [Fact]
    public async Task A_razor_space_has_pages_and_no_components()
    {
        var files = await FilesOf("--frontend", "razor");

        Assert.Contains(files, f => f.StartsWith(Frontend + "Pages/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith(Frontend + "Components/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blazor_space_has_components_and_no_pages()
    {
        var files = await FilesOf("--frontend", "blazor");

        Assert.Contains(files, f => f.StartsWith(Frontend + "Components/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith(Frontend + "Pages/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_default_space_has_the_tests_project()
    {
        var files = await FilesOf();

        Assert.Contains(TestsProject, files);
    }

    [Fact]
    public async Task Without_tests_there_is_no_tests_folder()
    {
        var files = await FilesOf("--tests", "false");

        Assert.NotEmpty(files);
        Assert.DoesNotContain(files, f => f.StartsWith("tests/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_tests_the_solution_names_no_tests_project()
    {
        // Needs the .sln text, so this one variant is really generated.
        var space = await hive.SharedInstantiationAsync(Name, "--tests", "false");
        Assert.True(space.ExitCode == 0, space.Output);

        var projects = SolutionFile.ProjectPaths(space.PathOf($"{Name}.sln"));

        Assert.NotEmpty(projects);
        Assert.DoesNotContain(projects, p => p.StartsWith("tests/", StringComparison.Ordinal) || p.Contains(".Tests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_dry_run_lists_exactly_the_files_a_real_run_writes()
    {
        // Guards the dry-run parsing the other tests rely on.
        var dryRun = await FilesOf();
        var real = await hive.SharedInstantiationAsync(Name);
        Assert.True(real.ExitCode == 0, real.Output);

        Assert.Equal(real.Files.Order(StringComparer.Ordinal), dryRun.Order(StringComparer.Ordinal));
    }

    private async Task<IReadOnlySet<string>> FilesOf(params string[] options)
    {
        var dryRun = await hive.DryRunAsync(Name, options);
        Assert.True(dryRun.ExitCode == 0, $"dry run with [{string.Join(' ', options)}] exited {dryRun.ExitCode}:{Environment.NewLine}{dryRun.Output}");
        return dryRun.Files;
    }
}
