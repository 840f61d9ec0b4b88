// Validation build of the template pack: pack → install into an isolated hive → compute the variant matrix →
// per variant: instantiate, restore, build (warnings as errors), test. Run it with ./build.sh (or build.ps1);
// ./build.sh --help lists the targets.
#load "process.cake"
#load "checks.cake"
#load "report.cake"
#load "variants.cake"
#load "validation-root.cake"
#load "stages.cake"
#load "space.cake"
#load "smoke.cake"
#load "bench.cake"
#load "faults.cake"

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
// Demo only: start the space, check its page shows database records, stop (for unattended runs).
// `--check` alone means true (Cake reads a bare flag as an empty value).
var demoCheck = HasArgument("check") && !string.Equals(Argument("check", ""), "false", StringComparison.OrdinalIgnoreCase);
var demoPort = Argument("port", 8080);

// Cake runs with the script's folder (build/) as its working directory.
var root = MakeAbsolute(Directory(".."));
if (!FileExists(root.CombineWithFilePath("templates/CloudRunSpace.Templates.csproj")))
    throw new CakeException($"{root} has no templates/CloudRunSpace.Templates.csproj: is build/build.cake still in the repository's build/ folder?");

var paths = new BuildPaths(root);
var report = new ValidationReport();
VariantMatrix matrix = null;
FilePath templatePackage = null;
var failedVariants = new HashSet<string>();

Setup(context =>
{
    // Test results of earlier runs would be counted again by .ci/run.
    if (target != "Demo" && DirectoryExists(paths.Trx)) CleanDirectory(paths.Trx);
});

Teardown(context =>
{
    if (report.Results.Count == 0) return;
    // The demo is not a validation run: it must not overwrite the last validation report.
    if (target != "Demo") WriteReports(report, root, paths.Validation);
    else foreach (var line in FailureLines(report, root)) Error(line);
    // Failed per-variant stages are recorded instead of thrown, so the other variants still run;
    // this is where they fail the run.
    if (report.Failures.Any() && context.ThrownException == null)
        throw new CakeException($"{report.Failures.Count()} stage(s) failed; see the FAILED lines above.");
});

Task("Pack")
    .Description("Packs the template pack into artifacts/packages.")
    .Does(() =>
{
    templatePackage = PackTemplates(paths, configuration, report);
});

Task("Install")
    .Description("Installs the packed templates into an isolated hive under artifacts/ (never the user's own).")
    .IsDependentOn("Pack")
    .Does(() =>
{
    InstallTemplates(paths, templatePackage, report);
});

Task("Variants")
    .Description("Computes the all-pairs variant matrix from template.json into artifacts/validation/variants.json.")
    .Does(() =>
{
    matrix = ComputeVariants(paths, report);
});

Task("UnitTests")
    .Description("Runs the repository's own tests (tests/CloudRunSpace.Templates.Tests) against the packed nupkg.")
    .IsDependentOn("Pack")
    .Does(() =>
{
    RunRepositoryTests(paths, templatePackage, configuration, report);
});

Task("Build")
    .Description("Per variant: instantiate into artifacts/validation/<variant>, restore, build with warnings as errors.")
    .IsDependentOn("Install")
    .IsDependentOn("Variants")
    .Does(() =>
{
    WriteStopperFiles(paths.Validation, paths.RepositoryGlobalJson);
    foreach (var variant in matrix.Variants)
    {
        Information($"── {variant.Name}: {string.Join(" ", variant.CliArguments)}");
        if (!InstantiateVariant(paths, variant, report)
            || !RestoreVariant(paths, variant, report)
            || !BuildVariant(paths, variant, report))
            failedVariants.Add(variant.Name);
    }
});

Task("Test")
    .Description("Per variant: runs the generated solution's own tests, TRX into artifacts/validation/trx.")
    .IsDependentOn("Build")
    .Does(() =>
{
    foreach (var variant in matrix.Variants)
    {
        if (failedVariants.Contains(variant.Name))
        {
            report.Add(new StageResult { Variant = variant.Name, Stage = "test", Status = StageStatus.Skipped, Detail = "an earlier stage of this variant failed" });
            continue;
        }
        if (!TestVariant(paths, variant, report)) failedVariants.Add(variant.Name);
    }
});

Task("LocalRun")
    .Description("Per variant: the generated run-local.sh --check (throwaway PostgreSQL, migrate, both services, page shows records).")
    .IsDependentOn("Build")
    .Does(() =>
{
    foreach (var variant in matrix.Variants)
    {
        if (failedVariants.Contains(variant.Name))
        {
            report.Add(new StageResult { Variant = variant.Name, Stage = "local-run", Status = StageStatus.Skipped, Detail = "an earlier stage of this variant failed" });
            continue;
        }
        if (!LocalRunVariant(paths, variant, report)) failedVariants.Add(variant.Name);
    }
});

Task("Smoke")
    .Description("Per variant: the services as real processes (PostgreSQL, fake Google, migrate, PORT/K_SERVICE) checked over HTTP, in the database and in their logs; shellcheck and deploy/up.sh --dry-run.")
    .IsDependentOn("Build")
    .Does(() =>
{
    var fakeGoogle = BuildFakeGoogle(paths, report);
    foreach (var variant in matrix.Variants)
    {
        // Needs the build only: a failed test must not hide what the running services do.
        if (!report.Results.Any(r => r.Variant == variant.Name && r.Stage == "build" && r.Status == StageStatus.Passed))
        {
            report.Add(new StageResult { Variant = variant.Name, Stage = "smoke", Status = StageStatus.Skipped, Detail = "the variant did not build" });
            continue;
        }
        if (!SmokeVariant(paths, variant, fakeGoogle, report)) failedVariants.Add(variant.Name);
    }
});

Task("Faults")
    .Description("Default variant only: PostgreSQL stopped, backend killed, metadata server unreachable and SIGTERM, each under load; wrk at 64 connections; no database password in logs. Figures in artifacts/validation/faults.md.")
    .IsDependentOn("Build")
    .Does(() =>
{
    var variant = matrix.Variants[0]; // the all-defaults variant
    if (failedVariants.Contains(variant.Name))
    {
        report.Add(new StageResult { Variant = variant.Name, Stage = "faults", Status = StageStatus.Skipped, Detail = "an earlier stage of this variant failed" });
        return;
    }
    if (!FaultsVariant(paths, variant, BuildFakeGoogle(paths, report), report)) failedVariants.Add(variant.Name);
});

Task("Demo")
    .Description("The newcomer's first run: scaffold the default space into artifacts/demo and run it locally (prints the URL).")
    .IsDependentOn("Install")
    .IsDependentOn("Variants")
    .Does(() =>
{
    var space = matrix.Variants[0]; // the all-defaults variant
    var output = paths.Demo.Combine(space.Name);
    WriteStopperFiles(paths.Demo, paths.RepositoryGlobalJson);
    Require(InstantiateVariant(paths, space, report, output, label: "demo"), "scaffolding the demo space");
    var runLocal = output.CombineWithFilePath("run-local.sh");
    if (!FileExists(runLocal)) throw new CakeException($"the generated space has no {runLocal.GetFilename()}");

    Information($"Running {runLocal} (Ctrl+C stops the space)");
    // The console is handed over as it is: the script prints the URL and keeps the services in the foreground.
    var arguments = new ProcessArgumentBuilder().Append(runLocal.FullPath).Append("--port").Append(demoPort.ToString());
    if (demoCheck) arguments.Append("--check");
    var exitCode = StartProcess("bash", new ProcessSettings { Arguments = arguments, WorkingDirectory = output });
    // 130: stopped with Ctrl+C, the ordinary way to end the demo.
    if (exitCode != 0 && exitCode != 130) throw new CakeException($"run-local.sh exited with {exitCode}; its output is above");
});

Task("Default")
    .Description("Pack, Install, Variants, UnitTests, Build, Test, Smoke, LocalRun, Faults; report in artifacts/validation/report.md|json.")
    .IsDependentOn("Pack")
    .IsDependentOn("Install")
    .IsDependentOn("Variants")
    .IsDependentOn("UnitTests")
    .IsDependentOn("Build")
    .IsDependentOn("Test")
    .IsDependentOn("Smoke")
    .IsDependentOn("LocalRun")
    .IsDependentOn("Faults");

RunTarget(target);
