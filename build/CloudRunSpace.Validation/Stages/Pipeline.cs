using System.Diagnostics;
using System.Globalization;
using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Reporting;
using CloudRunSpace.Validation.Spaces;
using CloudRunSpace.Validation.Workspace;

namespace CloudRunSpace.Validation.Stages;

/// <summary>What the build's targets do, one call each: the state they hand on (package, matrix, failed variants) lives here.</summary>
public sealed partial class ValidationStages
{
    private readonly HashSet<string> _failedVariants = [];
    private VariantMatrix? _matrix;
    private string? _package;
    private bool _trxCleaned;

    /// <summary>The package the Pack target wrote.</summary>
    public string Package => _package ?? throw new InvalidOperationException("the Pack target has not run");

    /// <summary>The matrix the Variants target computed.</summary>
    public VariantMatrix Matrix => _matrix ?? throw new InvalidOperationException("the Variants target has not run");

    // Removes the TRX files of earlier runs (.ci/run would count them again), once, before the run's first test stage
    // writes one. Not at Setup: a dry run runs Setup too, and the pack's tests dry-run this build while the UnitTests
    // target is writing TRX files.
    private void CleanTrxOnce()
    {
        if (_trxCleaned)
        {
            return;
        }

        _trxCleaned = true;
        if (Directory.Exists(paths.Trx))
        {
            Directory.Delete(paths.Trx, recursive: true);
        }
    }

    /// <summary>The Pack target.</summary>
    /// <param name="configuration">The configuration.</param>
    public void PackTarget(string configuration) => _package = Pack(configuration);

    /// <summary>The Install target.</summary>
    public void InstallTarget() => Install(Package);

    /// <summary>The Variants target.</summary>
    public void VariantsTarget() => _matrix = Variants();

    /// <summary>The UnitTests target: the toolkit's tests, then the repository's against the packed nupkg; TRX into artifacts/validation/trx/.</summary>
    /// <param name="configuration">The configuration.</param>
    public void UnitTestsTarget(string configuration)
    {
        Test(ValidationReport.RepositoryStages, "toolkit-tests", paths.ValidationTestsProject,
            new TestRunOptions("CloudRunSpace.Validation.Tests.trx") { Configuration = configuration });
        Test(ValidationReport.RepositoryStages, "unit-tests", paths.RepositoryTestsProject,
            new TestRunOptions("CloudRunSpace.Templates.Tests.trx")
            {
                Configuration = configuration,
                Environment = new Dictionary<string, string?> { ["CLOUDRUNSPACE_TEMPLATE_PACKAGE"] = Package },
                // Past the default 30 minutes since the Operations settings: every up.sh of the stand-in tests now also
                // reconciles SLOs, alerts, the uptime check, the dashboard and the edge (1408 s before them).
                Timeout = TimeSpan.FromMinutes(50),
            });
    }

    /// <summary>The Build target: per variant, instantiate, restore and build (warnings as errors) below stopper files.</summary>
    public void BuildTarget()
    {
        StopperFiles.Write(paths.Validation, File.ReadAllText(paths.RepositoryGlobalJson));
        foreach (var variant in Matrix.Variants)
        {
            information($"── {variant.Name}: {string.Join(" ", variant.CliArguments)}");
            if (!(Instantiate(variant) && Restore(variant) && Build(variant)))
            {
                _failedVariants.Add(variant.Name);
            }
        }
    }

    /// <summary>The Test target.</summary>
    public void TestTarget() => ForEachVariant("test", TestVariant);

    /// <summary>
    /// The LocalRun target: the all-defaults variant's run-local.sh. The script has no template conditionals, so it is
    /// the same in every variant; every variant's AppHost is started by the Smoke target.
    /// </summary>
    public void LocalRunTarget() => ForEachVariant("local-run", LocalRun, variants: [Matrix.Variants[0]]);

    /// <summary>The Smoke target: every variant that built (a failed test must not hide what the running space does).</summary>
    public void SmokeTarget() => ForEachVariant("smoke", Smoke, needsBuildOnly: true);

    /// <summary>The Faults target: the all-defaults variant only.</summary>
    public void FaultsTarget() => ForEachVariant("faults", Faults, variants: [Matrix.Variants[0]]);

    /// <summary>
    /// Runs a stage for each variant; a variant an earlier stage failed is skipped, and one this stage fails is not
    /// run further. With <paramref name="needsBuildOnly"/>, only a failed build skips it (a failed test must not hide
    /// what the running services do).
    /// </summary>
    /// <param name="stage">The stage's name in the report.</param>
    /// <param name="run">Runs it for one variant; tells whether it passed.</param>
    /// <param name="needsBuildOnly">Whether only the build stage must have passed.</param>
    /// <param name="variants">Which variants; all when null.</param>
    public void ForEachVariant(string stage, Func<Variant, bool> run, bool needsBuildOnly = false, IEnumerable<Variant>? variants = null)
    {
        foreach (var variant in variants ?? Matrix.Variants)
        {
            if (needsBuildOnly ? !report.Passed(variant.Name, "build") : _failedVariants.Contains(variant.Name))
            {
                report.Skip(variant.Name, stage, needsBuildOnly ? "the variant did not build" : "an earlier stage of this variant failed");
                continue;
            }

            if (!run(variant))
            {
                _failedVariants.Add(variant.Name);
            }
        }
    }

    /// <summary>The settings of a variant the Build target built, for running it as real processes.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="fakeGoogleDll">The built fake Google server.</param>
    /// <param name="purpose">What runs it (the log prefix), e.g. smoke.</param>
    /// <param name="extraEnvironment">Extra settings for its services.</param>
    public SpaceSettings SpaceSettingsFor(Variant variant, string fakeGoogleDll, string purpose, IReadOnlyDictionary<string, string>? extraEnvironment = null) =>
        SpaceSettings.ForBuiltSpace(
            paths.VariantDirectory(variant), variant.Name,
            iamDatabaseAuth: variant.Options.TryGetValue("db-auth", out var auth) && auth == "iam",
            configuration: VariantConfiguration, fakeGoogleDll: fakeGoogleDll, logDirectory: paths.Logs,
            logPrefix: $"{variant.Name}-{purpose}", extraEnvironment: extraEnvironment);

    /// <summary>
    /// The Demo target: scaffolds the all-defaults space into artifacts/demo and runs its run-local.sh with the
    /// console handed over (it prints the URL; Ctrl+C stops it).
    /// </summary>
    /// <param name="port">The frontend's port.</param>
    /// <param name="check">Start, check the page shows records, stop.</param>
    public void DemoTarget(int port, bool check)
    {
        var space = Matrix.Variants[0];
        var output = Path.Combine(paths.Demo, space.Name);
        StopperFiles.Write(paths.Demo, File.ReadAllText(paths.RepositoryGlobalJson));
        Require(Instantiate(space, output, label: "demo"), "scaffolding the demo space");
        var runLocal = Path.Combine(output, "run-local.sh");
        if (!File.Exists(runLocal))
        {
            throw new InvalidOperationException("the generated space has no run-local.sh");
        }

        information($"Running {runLocal} (Ctrl+C stops the space)");
        var exitCode = RunOnConsole("bash", [runLocal, "--port", port.ToString(CultureInfo.InvariantCulture), .. check ? ["--check"] : Array.Empty<string>()], output);
        // 130: stopped with Ctrl+C, the ordinary way to end the demo.
        if (exitCode is not (0 or 130))
        {
            throw new InvalidOperationException($"run-local.sh exited with {exitCode}; its output is above");
        }
    }

    /// <summary>The Bench target: the console app build/bench/CloudRunSpace.Bench, its progress on the console.</summary>
    /// <param name="configuration">The configuration the template pack is packed in.</param>
    public void BenchTarget(string configuration)
    {
        var project = Path.Combine(paths.Root, "build", "bench", "CloudRunSpace.Bench");
        var exitCode = RunOnConsole("dotnet", ["run", "--project", project, "-c", "Release", "--", "--root", paths.Root, "--configuration", configuration], paths.Root);
        Require(exitCode == 0, $"the Bench (exit code {exitCode})");
    }

    // Runs a program with the console handed over as it is (no capture): its output is the user's to read.
    private static int RunOnConsole(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>
    /// The end of every run: writes report.md|json (not for the demo, which must not overwrite the last validation
    /// report) and fails the run if a stage failed. Failed per-variant stages are recorded instead of thrown, so the
    /// other variants still run; this is where they fail the run.
    /// </summary>
    /// <param name="writeReport">Whether to write the report files.</param>
    /// <param name="alreadyFailed">Whether the run already failed with an exception.</param>
    public void Conclude(bool writeReport, bool alreadyFailed)
    {
        if (report.Results.Count == 0)
        {
            return;
        }

        if (writeReport)
        {
            ReportWriter.Write(report, paths.Root, paths.Validation, information, error);
        }
        else
        {
            foreach (var line in ReportWriter.FailureLines(report, paths.Root))
            {
                error(line);
            }
        }

        var failures = report.Failures.Count();
        if (failures > 0 && !alreadyFailed)
        {
            throw new InvalidOperationException($"{failures} stage(s) failed; see the FAILED lines above.");
        }
    }
}
