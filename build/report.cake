// Results of every stage (variant × stage × status × seconds): printed as a table, written to report.md and
// report.json, and turned into the run's verdict. A failed stage stops its own variant only.
using System.Text.Json;
using System.Text.Json.Nodes;

public enum StageStatus { Passed, Failed, Skipped }

public sealed class StageResult
{
    public string Variant { get; init; } = "";
    public string Stage { get; init; } = "";
    public StageStatus Status { get; init; }
    public double Seconds { get; init; }
    public string Detail { get; init; } = "";
    public string LogFile { get; init; } = "";
}

public sealed class ValidationReport
{
    private readonly List<StageResult> results = new();
    public IReadOnlyList<StageResult> Results => results;
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;
    public int? VariantCount { get; set; }
    public int? PairsCovered { get; set; }
    public Dictionary<string, string> Excluded { get; set; } = new();

    public StageResult Add(StageResult result) { results.Add(result); return result; }
    public IEnumerable<StageResult> Failures => Ordered.Where(r => r.Status == StageStatus.Failed);

    // Grouped by variant (in order of first appearance), each variant's stages in the order they ran.
    public IEnumerable<StageResult> Ordered => results
        .Select((r, i) => (Result: r, Index: i, First: results.FindIndex(x => x.Variant == r.Variant)))
        .OrderBy(x => x.First).ThenBy(x => x.Index).Select(x => x.Result);
}

// The repository-level stages (pack, install, ...) are listed under this name in the variant column.
const string RepositoryStages = "(repository)";

static string StatusText(StageStatus status) => status.ToString().ToLowerInvariant();

static string RelativeToRoot(string path, DirectoryPath root) =>
    string.IsNullOrEmpty(path) ? "" : System.IO.Path.GetRelativePath(root.FullPath, path);

string[] ReportTableLines(ValidationReport report, DirectoryPath root)
{
    var rows = report.Ordered.Select(r => new[]
    {
        r.Variant, r.Stage, StatusText(r.Status), r.Seconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), r.Detail,
    }).ToList();
    var header = new[] { "variant", "stage", "status", "seconds", "detail" };
    var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
    string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => i == 3 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))) + " |";
    var lines = new List<string> { Line(header), "|" + string.Join("|", widths.Select((w, i) => i == 3 ? new string('-', w + 1) + ":" : new string('-', w + 2))) + "|" };
    lines.AddRange(rows.Select(Line));
    return lines.ToArray();
}

IEnumerable<string> FailureLines(ValidationReport report, DirectoryPath root) =>
    report.Failures.Select(f =>
        $"FAILED: variant {f.Variant}, stage {f.Stage}: {f.Detail}" +
        (f.LogFile == "" ? "" : $" — read {RelativeToRoot(f.LogFile, root)}"));

void WriteReports(ValidationReport report, DirectoryPath root, DirectoryPath validationDir)
{
    EnsureDirectoryExists(validationDir);
    var total = (DateTimeOffset.UtcNow - report.Started).TotalSeconds;
    var table = ReportTableLines(report, root);

    var md = new List<string>
    {
        "# Template validation report",
        "",
        $"Started {report.Started:u}, {total:0} s in all." +
            (report.VariantCount is int n ? $" {n} variants covering {report.PairsCovered} option-value pairs." : ""),
        "",
    };
    md.AddRange(table);
    var failures = FailureLines(report, root).ToList();
    md.Add("");
    md.Add(failures.Count == 0 ? "Result: every stage that ran passed." : "Result: FAILED");
    md.AddRange(failures.Select(f => "- " + f));
    System.IO.File.WriteAllText(validationDir.CombineWithFilePath("report.md").FullPath, string.Join("\n", md) + "\n");

    var json = new JsonObject
    {
        ["started"] = report.Started.ToString("o"),
        ["totalSeconds"] = Math.Round(total, 1),
        ["variantCount"] = report.VariantCount,
        ["pairsCovered"] = report.PairsCovered,
        ["excluded"] = new JsonObject(report.Excluded.Select(e => KeyValuePair.Create(e.Key, (JsonNode)JsonValue.Create(e.Value)))),
        ["passed"] = failures.Count == 0,
        ["stages"] = new JsonArray(report.Ordered.Select(r => (JsonNode)new JsonObject
        {
            ["variant"] = r.Variant,
            ["stage"] = r.Stage,
            ["status"] = StatusText(r.Status),
            ["seconds"] = Math.Round(r.Seconds, 1),
            ["detail"] = r.Detail,
            ["log"] = RelativeToRoot(r.LogFile, root),
        }).ToArray()),
    };
    System.IO.File.WriteAllText(validationDir.CombineWithFilePath("report.json").FullPath,
        json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    Information("");
    foreach (var line in table) Information(line);
    Information("");
    Information($"Report: {RelativeToRoot(validationDir.CombineWithFilePath("report.md").FullPath, root)} and report.json ({total:0} s in all)");
    foreach (var line in failures) Error(line);
}
