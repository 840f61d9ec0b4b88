// One function per validation stage. Each runs its tool with a log under artifacts/validation/logs/, records a
// StageResult and tells whether the stage passed.

public sealed class BuildPaths
{
    public BuildPaths(DirectoryPath root)
    {
        Root = root;
        Artifacts = root.Combine("artifacts");
        Validation = Artifacts.Combine("validation");
        Logs = Validation.Combine("logs");
        Trx = Validation.Combine("trx");
    }
    public DirectoryPath Root { get; }
    public DirectoryPath Artifacts { get; }
    public DirectoryPath Validation { get; }
    public DirectoryPath Logs { get; }
    public DirectoryPath Trx { get; }
    public DirectoryPath TemplateHive => Artifacts.Combine("template-hive");
    public FilePath PackProject => Root.CombineWithFilePath("templates/CloudRunSpace.Templates.csproj");
    public FilePath TemplateJson => Root.CombineWithFilePath("templates/cloudrun-space/.template.config/template.json");
    public FilePath CliHostJson => Root.CombineWithFilePath("templates/cloudrun-space/.template.config/dotnetcli.host.json");
    public FilePath RepositoryGlobalJson => Root.CombineWithFilePath("global.json");
    public FilePath RepositoryTestsProject => Root.CombineWithFilePath("tests/CloudRunSpace.Templates.Tests/CloudRunSpace.Templates.Tests.csproj");
    public FilePath VariantsJson => Validation.CombineWithFilePath("variants.json");
    public FilePath Log(string variant, string stage) => Logs.CombineWithFilePath(variant == RepositoryStages ? $"{stage}.log" : $"{variant}-{stage}.log");
    public DirectoryPath Demo => Artifacts.Combine("demo");
    public DirectoryPath VariantDirectory(Variant variant) => Validation.Combine(variant.Name);
    public FilePath VariantSolution(Variant variant) => VariantDirectory(variant).CombineWithFilePath(variant.Name + ".sln");
}

const string TemplateShortName = "cloudrun-space";
// Variants are built and tested the way a user first does it: the default Debug configuration.
const string VariantConfiguration = "Debug";

bool Record(ValidationReport report, string variant, string stage, ToolRun run, string problem, string detail = "")
{
    var result = report.Add(new StageResult
    {
        Variant = variant,
        Stage = stage,
        Status = problem == null ? StageStatus.Passed : StageStatus.Failed,
        Seconds = run.Seconds,
        Detail = problem ?? detail,
        LogFile = run.LogFile,
    });
    if (problem == null) Information($"{variant} {stage}: passed in {run.Seconds:0.0} s {detail}");
    else
    {
        Error($"{variant} {stage}: FAILED ({problem}) after {run.Seconds:0.0} s; log: {run.LogFile}");
        ShowLogTail(run.LogFile);
    }
    return problem == null;
}

// The end of a failed stage's log, so a CI log shows the cause without opening artifacts.
void ShowLogTail(string logFile, int lines = 30)
{
    if (!System.IO.File.Exists(logFile)) return;
    var tail = System.IO.File.ReadLines(logFile).TakeLast(lines).ToList();
    Information($"---- last {tail.Count} lines of {logFile} ----");
    foreach (var line in tail) Information("  " + line);
    Information("----");
}

// A repository-level stage whose failure leaves nothing for later stages to do.
void Require(bool passed, string stage)
{
    if (!passed) throw new CakeException($"{stage} failed; the stages after it cannot run.");
}

FilePath PackTemplates(BuildPaths paths, string configuration, ValidationReport report)
{
    // Where the package goes comes from the project itself; the old file is removed first because an
    // incremental pack with no changes writes nothing, and a stale package must not pass for a new one.
    var query = RunDotNet(
        new[] { "msbuild", paths.PackProject.FullPath, "-getProperty:PackageId", "-getProperty:PackageVersion", "-getProperty:PackageOutputPath" },
        paths.Log(RepositoryStages, "pack-properties"));
    Require(Record(report, RepositoryStages, "pack-properties", query, ExitCodeProblem(query)), "reading the pack project's properties");
    var properties = System.Text.Json.Nodes.JsonNode.Parse(query.Output[query.Output.IndexOf('{')..])!["Properties"]!;
    var package = new FilePath(System.IO.Path.GetFullPath(System.IO.Path.Combine(
        properties["PackageOutputPath"]!.GetValue<string>(),
        $"{properties["PackageId"]!.GetValue<string>()}.{properties["PackageVersion"]!.GetValue<string>()}.nupkg")));
    if (FileExists(package)) DeleteFile(package);

    var run = RunDotNet(new[] { "pack", paths.PackProject.FullPath, "-c", configuration }, paths.Log(RepositoryStages, "pack"));
    var problem = ExitCodeProblem(run) ?? (FileExists(package) ? null : $"dotnet pack exited 0 but wrote no {package.GetFilename()}");
    Require(Record(report, RepositoryStages, "pack", run, problem, package.GetFilename().FullPath), "pack");
    return package;
}

void InstallTemplates(BuildPaths paths, FilePath package, ValidationReport report)
{
    // A fresh hive each run: installing the same package into a hive twice exits 106.
    if (DirectoryExists(paths.TemplateHive)) DeleteDirectory(paths.TemplateHive, new DeleteDirectorySettings { Recursive = true, Force = true });
    var hive = new[] { "--debug:custom-hive", paths.TemplateHive.FullPath };

    var install = RunDotNet(new[] { "new", "install", package.FullPath }.Concat(hive), paths.Log(RepositoryStages, "install"));
    var problem = TemplateEngineProblem(install);
    ToolRun list = null;
    if (problem == null)
    {
        list = RunDotNet(new[] { "new", "list" }.Concat(hive), paths.Log(RepositoryStages, "install-list"));
        problem = ExitCodeProblem(list)
            ?? (Regex.IsMatch(list.Output, $@"(^|[\s,]){Regex.Escape(TemplateShortName)}([\s,]|$)", RegexOptions.Multiline)
                ? null
                : $"'{TemplateShortName}' is not listed by dotnet new list after installing (see install-list.log)");
    }
    var run = list == null ? install : new ToolRun
    {
        ExitCode = list.ExitCode, Output = list.Output, LogFile = problem == null ? install.LogFile : list.LogFile,
        Seconds = install.Seconds + list.Seconds,
    };
    Require(Record(report, RepositoryStages, "install", run, problem, $"{TemplateShortName} listed in {System.IO.Path.GetRelativePath(paths.Root.FullPath, paths.TemplateHive.FullPath)}"), "install");
}

VariantMatrix ComputeVariants(BuildPaths paths, ValidationReport report)
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    try
    {
        var matrix = ComputeVariantMatrix(paths.TemplateJson, paths.CliHostJson);
        AssertMatrixCoversAllPairs(matrix);
        WriteVariantsJson(matrix, paths.VariantsJson);
        report.VariantCount = matrix.Variants.Count;
        report.PairsCovered = matrix.PairsTotal;
        report.Excluded = matrix.Excluded.ToDictionary(e => e.Key, e => e.Value);
        var detail = $"{matrix.Variants.Count} variants cover all {matrix.PairsTotal} value pairs of {matrix.Options.Count} options ({string.Join(", ", matrix.Options.Select(o => o.LongName))}); left out: {string.Join(", ", matrix.Excluded.Keys)}";
        report.Add(new StageResult { Variant = RepositoryStages, Stage = "variants", Status = StageStatus.Passed, Seconds = watch.Elapsed.TotalSeconds, Detail = detail });
        Information(detail);
        foreach (var v in matrix.Variants) Information($"  {v.Name,-16} {string.Join(" ", v.CliArguments)}");
        return matrix;
    }
    catch (CakeException e)
    {
        report.Add(new StageResult { Variant = RepositoryStages, Stage = "variants", Status = StageStatus.Failed, Seconds = watch.Elapsed.TotalSeconds, Detail = e.Message.Split('\n')[0] });
        throw;
    }
}

void RunRepositoryTests(BuildPaths paths, FilePath package, string configuration, ValidationReport report)
{
    const string trxName = "CloudRunSpace.Templates.Tests.trx";
    var run = RunDotNet(
        new[] { "test", paths.RepositoryTestsProject.FullPath, "-c", configuration,
                "--logger", $"trx;LogFileName={trxName}", "--results-directory", paths.Trx.FullPath },
        paths.Log(RepositoryStages, "unit-tests"),
        environment: new Dictionary<string, string> { ["CLOUDRUNSPACE_TEMPLATE_PACKAGE"] = package.FullPath });
    JudgeTestRun(report, RepositoryStages, "unit-tests", run, paths.Trx.CombineWithFilePath(trxName));
}

bool JudgeTestRun(ValidationReport report, string variant, string stage, ToolRun run, FilePath trx)
{
    TestCounts counts = FileExists(trx) ? ReadTrxCounters(trx.FullPath) : null;
    var problem = ExitCodeProblem(run)
        ?? (counts == null ? $"no TRX file {trx.GetFilename()} was written"
            : counts.Failed > 0 ? $"{counts.Failed} test(s) failed"
            : counts.Executed == 0 ? "no test ran" : null);
    if (problem != null && counts != null) problem += $" ({counts})";
    return Record(report, variant, stage, run, problem, counts?.ToString() ?? "");
}

// label: the name in the report and the log file; the variant's own unless it is scaffolded for another use.
bool InstantiateVariant(BuildPaths paths, Variant variant, ValidationReport report, DirectoryPath output = null, string label = null)
{
    output ??= paths.VariantDirectory(variant);
    label ??= variant.Name;
    if (DirectoryExists(output)) DeleteDirectory(output, new DeleteDirectorySettings { Recursive = true, Force = true });
    var arguments = new[]
    {
        "new", TemplateShortName, "-n", variant.Name, "-o", output.FullPath,
        "--no-restore", "--debug:custom-hive", paths.TemplateHive.FullPath,
    }
    // dotnet new offers --allow-scripts only for a template with a run-script post action, and without the
    // answer such an action prompts and, with no input, loops forever.
    .Concat(TemplateHasRunScriptPostAction(paths.TemplateJson) ? new[] { "--allow-scripts", "no" } : Array.Empty<string>())
    .Concat(variant.CliArguments);
    var run = RunDotNet(arguments, paths.Log(label, "instantiate"), workingDirectory: output.GetParent());
    var problem = TemplateEngineProblem(run)
        ?? (run.Output.Contains("was created successfully") ? null : "dotnet new did not report 'was created successfully'")
        ?? (FileExists(output.CombineWithFilePath(variant.Name + ".sln")) ? null : $"{variant.Name}.sln was not generated");
    return Record(report, label, "instantiate", run, problem);
}

const string RunScriptPostActionId = "3A7C4B45-1F5D-4A30-959A-51B88E82B5D2";

static bool TemplateHasRunScriptPostAction(FilePath templateJson) =>
    (System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(templateJson.FullPath))?["postActions"]?.AsArray() ?? new System.Text.Json.Nodes.JsonArray())
        .Any(a => string.Equals(a?["actionId"]?.GetValue<string>(), RunScriptPostActionId, StringComparison.OrdinalIgnoreCase));

bool RestoreVariant(BuildPaths paths, Variant variant, ValidationReport report)
{
    var run = RunDotNet(new[] { "restore", paths.VariantSolution(variant).FullPath }, paths.Log(variant.Name, "restore"));
    return Record(report, variant.Name, "restore", run, ExitCodeProblem(run));
}

bool BuildVariant(BuildPaths paths, Variant variant, ValidationReport report)
{
    var run = RunDotNet(
        new[] { "build", paths.VariantSolution(variant).FullPath, "--no-restore", "-c", VariantConfiguration, "-warnaserror" },
        paths.Log(variant.Name, "build"));
    return Record(report, variant.Name, "build", run, ExitCodeProblem(run), "warnings as errors");
}

bool TestVariant(BuildPaths paths, Variant variant, ValidationReport report)
{
    var testProjects = GetFiles(paths.VariantDirectory(variant).FullPath + "/tests/**/*.csproj");
    if (testProjects.Count == 0)
    {
        report.Add(new StageResult { Variant = variant.Name, Stage = "test", Status = StageStatus.Skipped, Detail = "the variant has no tests project (--tests false)" });
        return true;
    }
    var trxName = variant.Name + ".trx";
    var run = RunDotNet(
        new[] { "test", paths.VariantSolution(variant).FullPath, "--no-build", "-c", VariantConfiguration,
                "--logger", $"trx;LogFileName={trxName}", "--results-directory", paths.Trx.FullPath },
        paths.Log(variant.Name, "test"),
        // build.sh made sure PostgreSQL is here: a database test that skips would hide a broken fixture.
        environment: new Dictionary<string, string> { ["TESTS_REQUIRE_POSTGRES"] = "true" });
    return JudgeTestRun(report, variant.Name, "test", run, paths.Trx.CombineWithFilePath(trxName));
}

// The generated run-local.sh in its unattended mode: the space's AppHost (a throwaway PostgreSQL, migrate, the
// backend and two frontend instances behind local Cloud Run front ends), and a check that the page shows records
// read through the backend.
bool LocalRunVariant(BuildPaths paths, Variant variant, ValidationReport report)
{
    var directory = paths.VariantDirectory(variant);
    var script = directory.CombineWithFilePath("run-local.sh");
    if (!FileExists(script))
    {
        report.Add(new StageResult { Variant = variant.Name, Stage = "local-run", Status = StageStatus.Failed, Detail = "the generated space has no run-local.sh" });
        return false;
    }
    var spacePort = LocalSpace.FreePort();
    var run = RunTool("bash",
        new[] { script.FullPath, "--no-build", "--check", "--port", spacePort.ToString() },
        paths.Log(variant.Name, "local-run"), workingDirectory: directory, timeout: TimeSpan.FromMinutes(5));
    var problem = ExitCodeProblem(run)
        ?? (run.Output.Contains("Check passed") ? null : "run-local.sh --check exited 0 without reporting 'Check passed'");
    return Record(report, variant.Name, "local-run", run, problem, "page lists records read from PostgreSQL through the backend");
}
