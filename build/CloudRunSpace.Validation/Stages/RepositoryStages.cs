using System.Diagnostics;
using System.Text.Json.Nodes;
using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Reporting;
using CloudRunSpace.Validation.Templates;

namespace CloudRunSpace.Validation.Stages;

/// <summary>The repository-level stages: pack, install, variants, test runs judged by TRX, the fake Google build.</summary>
public sealed partial class ValidationStages
{
    private const string Repository = ValidationReport.RepositoryStages;

    /// <summary>Packs the template pack; throws unless a fresh package was written.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The package (.nupkg).</returns>
    public string Pack(string configuration)
    {
        // Where the package goes comes from the project itself; the old file is removed first because an incremental
        // pack with no changes writes nothing, and a stale package must not pass for a new one.
        var query = Dotnet(
            ["msbuild", paths.PackProject, "-getProperty:PackageId", "-getProperty:PackageVersion", "-getProperty:PackageOutputPath"],
            paths.Log(Repository, "pack-properties"));
        Require(Record(Repository, "pack-properties", query, ExitCodeProblem(query)), "reading the pack project's properties");
        var properties = JsonNode.Parse(query.Output[query.Output.IndexOf('{', StringComparison.Ordinal)..])!["Properties"]!;
        var package = Path.GetFullPath(Path.Combine(
            Path.GetDirectoryName(paths.PackProject)!,
            properties["PackageOutputPath"]!.GetValue<string>(),
            $"{properties["PackageId"]!.GetValue<string>()}.{properties["PackageVersion"]!.GetValue<string>()}.nupkg"));
        if (File.Exists(package))
        {
            File.Delete(package);
        }

        var run = Dotnet(["pack", paths.PackProject, "-c", configuration], paths.Log(Repository, "pack"));
        var problem = ExitCodeProblem(run) ?? (File.Exists(package) ? null : $"dotnet pack exited 0 but wrote no {Path.GetFileName(package)}");
        Require(Record(Repository, "pack", run, problem, Path.GetFileName(package)), "pack");
        return package;
    }

    /// <summary>Installs the package into a fresh isolated hive (never the user's own); throws unless dotnet new lists it.</summary>
    /// <param name="package">The package.</param>
    public void Install(string package)
    {
        // A fresh hive each run: installing the same package into a hive twice exits 106.
        if (Directory.Exists(paths.TemplateHive))
        {
            Directory.Delete(paths.TemplateHive, recursive: true);
        }

        string[] hive = ["--debug:custom-hive", paths.TemplateHive];
        // Every template of the pack: the space and each project template that grows it.
        string[] shortNames = [TemplateShortName, .. Composition.ProjectTemplates(paths.Templates).Select(t => t.ShortName)];
        var install = Dotnet(["new", "install", package, .. hive], paths.Log(Repository, "install"));
        var problem = install.TimedOut ? "timed out" : TemplateEngineFailures.Problem(install.ExitCode, install.Output);
        var run = install;
        if (problem is null)
        {
            var list = Dotnet(["new", "list", .. hive], paths.Log(Repository, "install-list"));
            var unlisted = shortNames.Where(name => !TemplateListing.Lists(list.Output, name)).ToList();
            problem = ExitCodeProblem(list) ?? (unlisted.Count == 0
                ? null
                : $"'{string.Join("', '", unlisted)}' not listed by dotnet new list after installing (see install-list.log)");
            run = new StageRun
            {
                ExitCode = list.ExitCode, Output = list.Output, LogFile = problem is null ? install.LogFile : list.LogFile,
                Seconds = install.Seconds + list.Seconds,
            };
        }

        Require(Record(Repository, "install", run, problem, $"{string.Join(", ", shortNames)} listed in {Path.GetRelativePath(paths.Root, paths.TemplateHive)}"), "install");
    }

    /// <summary>Computes the all-pairs matrix from template.json, checks it and writes variants.json.</summary>
    /// <returns>The matrix.</returns>
    public VariantMatrix Variants()
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var space = AllPairs.FromTemplate(paths.TemplateJson, paths.CliHostJson);
            var projectTemplates = Composition.ProjectTemplates(paths.Templates);
            var problems = AllPairs.Problems(space).Concat(projectTemplates.SelectMany(t => AllPairs.Problems(t.Matrix).Select(p => $"{t.ShortName}: {p}"))).ToList();
            if (problems.Count > 0)
            {
                throw new InvalidOperationException("The variant matrix is incomplete:\n  " + string.Join("\n  ", problems));
            }

            // The spaces as generated, then the composed ones (each with every project template added).
            var matrix = space with { Variants = [.. space.Variants, .. Composition.Compose(space, projectTemplates)] };
            AllPairs.WriteJson(matrix, paths.VariantsJson);
            report.VariantCount = matrix.Variants.Count;
            report.PairsCovered = space.PairsTotal + projectTemplates.Sum(t => t.Matrix.PairsTotal);
            report.Excluded = matrix.Excluded;
            var detail = $"{space.Variants.Count} variants cover all {space.PairsTotal} value pairs of {space.Options.Count} options ({string.Join(", ", space.Options.Select(o => o.LongName))}); left out: {string.Join(", ", space.Excluded.Keys)}"
                + string.Concat(projectTemplates.Select(t => $"; {t.ShortName}: {t.Matrix.Variants.Count} variants cover all {t.Matrix.PairsTotal} value pairs of {t.Matrix.Options.Count} options ({string.Join(", ", t.Matrix.Options.Select(o => o.LongName))})"))
                + $"; {matrix.Variants.Count - space.Variants.Count} composed spaces carry them";
            report.Add(new StageResult { Variant = Repository, Stage = "variants", Status = StageStatus.Passed, Seconds = watch.Elapsed.TotalSeconds, Detail = detail });
            information(detail);
            foreach (var v in matrix.Variants)
            {
                information($"  {v.Name,-16} {string.Join(" ", v.CliArguments)}{string.Concat(v.Additions.Select(a => $" + dotnet new {a.ShortName} -n {a.Name} {string.Join(" ", a.CliArguments)}"))}");
            }

            return matrix;
        }
        catch (InvalidOperationException e)
        {
            report.Add(new StageResult { Variant = Repository, Stage = "variants", Status = StageStatus.Failed, Seconds = watch.Elapsed.TotalSeconds, Detail = e.Message.Split('\n')[0] });
            throw;
        }
    }

    /// <summary>
    /// Runs <c>dotnet test</c> on a project or solution with a TRX logger into artifacts/validation/trx/ and judges it
    /// by its exit code and the TRX counters: a failed test or none run fails the stage.
    /// </summary>
    /// <param name="label">The variant column, or <see cref="ValidationReport.RepositoryStages"/>.</param>
    /// <param name="stage">The stage name (and its log's).</param>
    /// <param name="projectOrSolution">What to test.</param>
    /// <param name="options">TRX name, configuration, filter, settings.</param>
    /// <returns>Whether the stage passed.</returns>
    public bool Test(string label, string stage, string projectOrSolution, TestRunOptions options)
    {
        CleanTrxOnce();
        var trx = Path.Combine(paths.Trx, options.TrxFileName);
        if (File.Exists(trx))
        {
            File.Delete(trx);
        }

        List<string> arguments = ["test", projectOrSolution];
        if (options.NoBuild)
        {
            arguments.Add("--no-build");
        }

        if (options.Configuration is not null)
        {
            arguments.AddRange(["-c", options.Configuration]);
        }

        if (options.Filter is not null)
        {
            arguments.AddRange(["--filter", options.Filter]);
        }

        arguments.AddRange(["--logger", $"trx;LogFileName={options.TrxFileName}", "--results-directory", paths.Trx]);
        var run = Dotnet(arguments, paths.Log(label, stage), environment: options.Environment, timeout: options.Timeout);
        var counts = File.Exists(trx) ? TrxCounters.Read(trx) : null;
        var problem = ExitCodeProblem(run) ?? (counts is null ? $"no TRX file {options.TrxFileName} was written" : counts.Problem);
        if (problem is not null && counts is not null)
        {
            problem += $" ({counts})";
        }

        return Record(label, stage, run, problem, counts?.ToString() ?? "");
    }

    /// <summary>Builds tests/CloudRunSpace.FakeGoogle into artifacts/fake-google (fast when nothing changed).</summary>
    /// <returns>Its dll.</returns>
    public string BuildFakeGoogle()
    {
        var output = Path.Combine(paths.Artifacts, "fake-google");
        var run = Dotnet(["build", paths.FakeGoogleProject, "-c", "Release", "-o", output], paths.Log(Repository, "fake-google-build"));
        var dll = Path.Combine(output, "CloudRunSpace.FakeGoogle.dll");
        Require(Record(Repository, "fake-google-build", run, ExitCodeProblem(run) ?? (File.Exists(dll) ? null : $"the build wrote no {Path.GetFileName(dll)}")),
            "building the fake Google server");
        return dll;
    }
}
