// Validation build of the template pack: pack → install into an isolated hive → compute the variant matrix →
// per variant: instantiate, restore, build (warnings as errors), test, run. A table of targets: what each does is
// in the compiled toolkit (build/CloudRunSpace.Validation, built by build.sh before Cake runs); the Smoke and Faults
// checks are tests (build/CloudRunSpace.SpaceChecks) over each variant's own AppHost. Run it with ./build.sh (or build.ps1); ./build.sh --help lists the targets
// from their descriptions below.
#r "../artifacts/toolkit/CloudRunSpace.Validation.dll"
using CloudRunSpace.Validation.Reporting;
using CloudRunSpace.Validation.Stages;

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
// Demo only: start the space, check its page shows database records, stop (for unattended runs).
// `--check` alone means true (Cake reads a bare flag as an empty value).
var demoCheck = HasArgument("check") && !string.Equals(Argument("check", ""), "false", StringComparison.OrdinalIgnoreCase);
var demoPort = Argument("port", 8080);

// Cake runs with the script's folder (build/) as its working directory.
var root = MakeAbsolute(Directory("..")).FullPath;
if (!FileExists($"{root}/templates/CloudRunSpace.Templates.csproj"))
    throw new CakeException($"{root} has no templates/CloudRunSpace.Templates.csproj: is build/build.cake still in the repository's build/ folder?");

var paths = new BuildPaths(root);
var report = new ValidationReport();
// Cake's Information/Error read their text as a format string; a line of a log may hold braces.
var stages = new ValidationStages(paths, report, line => Information("{0}", line), line => Error("{0}", line));

Teardown(context => stages.Conclude(writeReport: target != "Demo", alreadyFailed: context.ThrownException != null));

Task("Pack")
    .Description("Packs the template pack into artifacts/packages.")
    .Does(() => stages.PackTarget(configuration));

Task("Install")
    .Description("Installs the packed templates into an isolated hive under artifacts/template-hive (never the user's own).")
    .IsDependentOn("Pack")
    .Does(() => stages.InstallTarget());

Task("Variants")
    .Description("Computes the all-pairs variant matrix of every template of the pack from its template.json, and the composed spaces that carry the project templates' variants, into artifacts/validation/variants.json.")
    .Does(() => stages.VariantsTarget());

Task("UnitTests")
    .Description("Runs the toolkit's tests (build/CloudRunSpace.Validation.Tests) and the repository's (tests/CloudRunSpace.Templates.Tests, against the packed nupkg); TRX into artifacts/validation/trx.")
    .IsDependentOn("Pack")
    .Does(() => stages.UnitTestsTarget(configuration));

Task("Build")
    .Description("Per variant: instantiate into artifacts/validation/<variant> (a composed space then adds each project template at its root with dotnet new), restore, build with warnings as errors.")
    .IsDependentOn("Install")
    .IsDependentOn("Variants")
    .Does(() => stages.BuildTarget());

Task("Test")
    .Description("Per variant: runs the generated solution's own tests, TRX into artifacts/validation/trx.")
    .IsDependentOn("Build")
    .Does(() => stages.TestTarget());

Task("LocalRun")
    .Description("Default variant only (the script is the same in every variant; Smoke starts every variant's AppHost): the generated run-local.sh --check (its AppHost: PostgreSQL, migrate, backend, two frontend instances behind local Cloud Run front ends; the page shows records).")
    .IsDependentOn("Build")
    .Does(() => stages.LocalRunTarget());

Task("Smoke")
    .Description("Per variant: build/CloudRunSpace.SpaceChecks (Category=Smoke) over the variant's own AppHost: page and form in chromium (no console error, failed request or 4xx/5xx asset), backend 401/403/200, JSON logs with the caller's trace, SIGTERM; on the composed spaces (Acme.Grown*: every project template of the pack added) also Category=Composition: each added service behind its front end (403/401 without a token, 200 for the frontend), each added job exits 0; TRX in artifacts/validation/trx.")
    .IsDependentOn("Build")
    .Does(() => stages.SmokeTarget());

Task("Faults")
    .Description("Default variant only: build/CloudRunSpace.SpaceChecks (Category=Faults): PostgreSQL stopped, backend killed, metadata server unreachable, SIGTERM, each under load; wrk at 64 connections; no database password in any log. Figures in artifacts/validation/faults.md.")
    .IsDependentOn("Build")
    .Does(() => stages.FaultsTarget());

Task("Demo")
    .Description("Scaffolds the default space into artifacts/demo and runs it locally through its AppHost (prints the URL and the dashboard's login link; Ctrl+C stops it). --check: start it, check the page shows records, stop; --port=N: the frontend's port.")
    .IsDependentOn("Install")
    .IsDependentOn("Variants")
    .Does(() => stages.DemoTarget(demoPort, demoCheck));

Task("Bench")
    .Description("Not in Default: start, CPU per request per hop, memory and a Cloud Run-shaped 1 CPU/512 MiB run of the generated services, each beside a baseline doing the same work, by the console app build/bench/CloudRunSpace.Bench; artifacts/bench/report.md|json.")
    .Does(() => stages.BenchTarget(configuration));

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
