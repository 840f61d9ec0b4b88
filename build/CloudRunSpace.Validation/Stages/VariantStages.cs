using System.Globalization;
using System.Text.Json.Nodes;
using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Processes;
using CloudRunSpace.Validation.Templates;

namespace CloudRunSpace.Validation.Stages;

/// <summary>The per-variant stages: instantiate, restore, build, test, local run.</summary>
public sealed partial class ValidationStages
{
    private const string RunScriptPostActionId = "3A7C4B45-1F5D-4A30-959A-51B88E82B5D2";

    /// <summary>dotnet new into a fresh folder from the isolated hive, judged by exit code, failure markers and the solution written.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="output">The folder; the variant's own under artifacts/validation when null.</param>
    /// <param name="label">The name in the report and the log; the variant's own unless it is scaffolded for another use.</param>
    /// <returns>Whether it passed.</returns>
    public bool Instantiate(Variant variant, string? output = null, string? label = null)
    {
        output ??= paths.VariantDirectory(variant);
        label ??= variant.Name;
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        // dotnet new offers --allow-scripts only for a template with a run-script post action, and without the
        // answer such an action prompts and, with no input, loops forever.
        string[] noScripts = HasRunScriptPostAction(paths.TemplateJson) ? ["--allow-scripts", "no"] : [];
        var run = Dotnet(
            ["new", TemplateShortName, "-n", variant.Name, "-o", output, "--no-restore", "--debug:custom-hive", paths.TemplateHive, .. noScripts, .. variant.CliArguments],
            paths.Log(label, "instantiate"), workingDirectory: Path.GetDirectoryName(output));
        var problem = CreationProblem(run)
            ?? (File.Exists(Path.Combine(output, variant.Name + ".sln")) ? null : $"{variant.Name}.sln was not generated");
        return Record(label, "instantiate", run, problem) && variant.Additions.All(addition => Add(addition, output, label));
    }

    /// <summary>
    /// dotnet new of a project template at the generated space's root, as a team grows its space: judged like the
    /// space's instantiation, and by the project being in the space's solution afterwards (the add-to-solution post action).
    /// </summary>
    /// <param name="addition">What to add.</param>
    /// <param name="space">The generated space's folder.</param>
    /// <param name="label">The variant's name in the report.</param>
    /// <returns>Whether it passed.</returns>
    private bool Add(Addition addition, string space, string label)
    {
        var before = Directory.GetFiles(space, "*.csproj", SearchOption.AllDirectories).ToHashSet();
        var run = Dotnet(
            ["new", addition.ShortName, "-n", addition.Name, "-o", space, "--no-restore", "--debug:custom-hive", paths.TemplateHive, .. addition.CliArguments],
            paths.Log(label, addition.Stage), workingDirectory: space);
        var added = Directory.GetFiles(space, "*.csproj", SearchOption.AllDirectories).Where(p => !before.Contains(p)).ToList();
        var solution = Directory.GetFiles(space, "*.sln").FirstOrDefault();
        var solutionText = solution is null ? "" : File.ReadAllText(solution);
        var missing = added.Select(Path.GetFileName).Where(p => !solutionText.Contains(p!, StringComparison.Ordinal)).ToList();
        var problem = CreationProblem(run)
            ?? (added.Count > 0 ? null : "it wrote no project")
            ?? (missing.Count == 0 ? null : $"{string.Join(", ", missing)} not added to the space's solution");
        return Record(label, addition.Stage, run, problem, $"-n {addition.Name} {string.Join(" ", addition.CliArguments)}: {string.Join(", ", added.Select(p => Path.GetRelativePath(space, p)))}");
    }

    private static string? CreationProblem(StageRun run) =>
        (run.TimedOut ? "timed out" : TemplateEngineFailures.Problem(run.ExitCode, run.Output))
        ?? (run.Output.Contains("was created successfully", StringComparison.Ordinal) ? null : "dotnet new did not report 'was created successfully'");

    /// <summary>dotnet restore of the variant's solution.</summary>
    /// <param name="variant">The variant.</param>
    public bool Restore(Variant variant)
    {
        var run = Dotnet(["restore", paths.VariantSolution(variant)], paths.Log(variant.Name, "restore"));
        return Record(variant.Name, "restore", run, ExitCodeProblem(run));
    }

    /// <summary>dotnet build of the variant's solution with warnings as errors.</summary>
    /// <param name="variant">The variant.</param>
    public bool Build(Variant variant)
    {
        var run = Dotnet(["build", paths.VariantSolution(variant), "--no-restore", "-c", VariantConfiguration, "-warnaserror"], paths.Log(variant.Name, "build"));
        return Record(variant.Name, "build", run, ExitCodeProblem(run), "warnings as errors");
    }

    /// <summary>
    /// The generated solution's tests projects, each its own stage with its own TRX file (a composed space has the
    /// space's and each added project's; one TRX file name for the whole solution would keep only the last project's
    /// results): <c>test</c> for the space's own, <c>test-PROJECT</c> for an added one. Skipped where there is none.
    /// </summary>
    /// <param name="variant">The variant.</param>
    public bool TestVariant(Variant variant)
    {
        var tests = Path.Combine(paths.VariantDirectory(variant), "tests");
        var projects = Directory.Exists(tests)
            ? Directory.GetFiles(tests, "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [];
        if (projects.Count == 0)
        {
            report.Skip(variant.Name, "test", "the variant has no tests project (--tests false)");
            return true;
        }

        var passed = true;
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            var own = name == variant.Name + ".Tests";
            passed &= Test(variant.Name, own ? "test" : "test-" + name, project, new TestRunOptions(own ? variant.Name + ".trx" : $"{variant.Name}-{name}.trx")
            {
                Configuration = VariantConfiguration,
                NoBuild = true,
                // build.sh made sure PostgreSQL is here: a database test that skips would hide a broken fixture.
                Environment = new Dictionary<string, string?> { ["TESTS_REQUIRE_POSTGRES"] = "true" },
            });
        }

        return passed;
    }

    /// <summary>
    /// The generated run-local.sh in its unattended mode: the space's AppHost (a throwaway PostgreSQL, migrate, the
    /// backend and two frontend instances behind local Cloud Run front ends), and a check that the page shows records.
    /// </summary>
    /// <param name="variant">The variant.</param>
    public bool LocalRun(Variant variant)
    {
        var directory = paths.VariantDirectory(variant);
        var script = Path.Combine(directory, "run-local.sh");
        if (!File.Exists(script))
        {
            report.Add(new Reporting.StageResult { Variant = variant.Name, Stage = "local-run", Status = Reporting.StageStatus.Failed, Detail = "the generated space has no run-local.sh" });
            return false;
        }

        var run = Run("bash", [script, "--no-build", "--check", "--port", FreePorts.Next().ToString(CultureInfo.InvariantCulture)],
            paths.Log(variant.Name, "local-run"), workingDirectory: directory, timeout: TimeSpan.FromMinutes(5));
        var problem = ExitCodeProblem(run)
            ?? (run.Output.Contains("Check passed", StringComparison.Ordinal) ? null : "run-local.sh --check exited 0 without reporting 'Check passed'");
        return Record(variant.Name, "local-run", run, problem, "page lists records read from PostgreSQL through the backend");
    }

    private static bool HasRunScriptPostAction(string templateJson) =>
        (JsonNode.Parse(File.ReadAllText(templateJson))?["postActions"]?.AsArray() ?? [])
            .Any(a => string.Equals(a?["actionId"]?.GetValue<string>(), RunScriptPostActionId, StringComparison.OrdinalIgnoreCase));
}
