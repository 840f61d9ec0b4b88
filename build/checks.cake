// Judging a tool run. Several template-engine failures exit 0 (an invalid template at install, a failed
// restore post action, localization errors), so the output is read as well as the exit code.
using System.Text.RegularExpressions;
using System.Xml.Linq;

// null means the run passed; otherwise the reason it failed.
static string ExitCodeProblem(ToolRun run) =>
    run.TimedOut ? "timed out" : run.ExitCode != 0 ? $"exit code {run.ExitCode}" : null;

static readonly (string Marker, string Meaning)[] TemplateEngineFailureMarkers =
{
    ("No templates were found", "the package holds no valid template"),
    ("[MV", "template metadata validation error"),
    ("Error", "the template engine reported an error"),
    ("Restore failed", "a restore post action failed"),
    ("Post action failed", "a post action failed"),
    ("LOC001", "localization error"),
    ("LOC002", "localization error"),
};

static string TemplateEngineProblem(ToolRun run)
{
    var exit = ExitCodeProblem(run);
    if (exit != null) return exit;
    foreach (var (marker, meaning) in TemplateEngineFailureMarkers)
        if (run.Output.Contains(marker, StringComparison.Ordinal))
            return $"{meaning} (output contains '{marker}') although it exited 0";
    return null;
}

public sealed class TestCounts
{
    public int Total { get; init; }
    public int Executed { get; init; }
    public int Passed { get; init; }
    public int Failed { get; init; }
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Executed} executed of {Total}";
}

// The <Counters total="" executed="" passed="" failed=""> element of a Visual Studio TRX file.
static TestCounts ReadTrxCounters(string trxFile)
{
    var counters = XDocument.Load(trxFile).Descendants().FirstOrDefault(e => e.Name.LocalName == "Counters")
        ?? throw new InvalidOperationException($"{trxFile} has no <Counters> element");
    int Count(string name) => int.TryParse((string)counters.Attribute(name), out var n) ? n : 0;
    return new TestCounts { Total = Count("total"), Executed = Count("executed"), Passed = Count("passed"), Failed = Count("failed") };
}
