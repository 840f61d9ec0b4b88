using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CloudRunSpace.Validation.Reporting;

/// <summary>Writes a <see cref="ValidationReport"/> as a table (report.md, the console) and as report.json.</summary>
public static class ReportWriter
{
    private static readonly string[] Header = ["variant", "stage", "status", "seconds", "detail"];

    /// <summary>The Markdown table: variant | stage | status | seconds (right-aligned) | detail, columns padded.</summary>
    /// <param name="report">The report.</param>
    public static IReadOnlyList<string> TableLines(ValidationReport report)
    {
        var rows = report.Ordered.Select(r => new[]
        {
            r.Variant, r.Stage, StatusText(r.Status), r.Seconds.ToString("0.0", CultureInfo.InvariantCulture), r.Detail,
        }).ToList();
        var widths = Header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => i == 3 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))) + " |";
        var rule = "|" + string.Join("|", widths.Select((w, i) => i == 3 ? new string('-', w + 1) + ":" : new string('-', w + 2))) + "|";
        return [Line(Header), rule, .. rows.Select(Line)];
    }

    /// <summary>One line per failed stage, naming its log relative to <paramref name="root"/>.</summary>
    /// <param name="report">The report.</param>
    /// <param name="root">The repository root.</param>
    public static IEnumerable<string> FailureLines(ValidationReport report, string root) =>
        report.Failures.Select(f =>
            $"FAILED: variant {f.Variant}, stage {f.Stage}: {f.Detail}" + (f.LogFile == "" ? "" : $" — read {Relative(f.LogFile, root)}"));

    /// <summary>Writes report.md and report.json into <paramref name="folder"/> and prints the table and the failures.</summary>
    /// <param name="report">The report.</param>
    /// <param name="root">The repository root (paths in the report are relative to it).</param>
    /// <param name="folder">The folder to write into (created).</param>
    /// <param name="information">Prints a line.</param>
    /// <param name="error">Prints an error line.</param>
    public static void Write(ValidationReport report, string root, string folder, Action<string> information, Action<string> error)
    {
        Directory.CreateDirectory(folder);
        var total = (DateTimeOffset.UtcNow - report.Started).TotalSeconds;
        var table = TableLines(report);
        var failures = FailureLines(report, root).ToList();
        var md = new List<string>
        {
            "# Template validation report",
            "",
            string.Create(CultureInfo.InvariantCulture, $"Started {report.Started:u}, {total:0} s in all.") +
                (report.VariantCount is int n ? $" {n} variants covering {report.PairsCovered} option-value pairs." : ""),
            "",
        };
        md.AddRange(table);
        md.Add("");
        md.Add(failures.Count == 0 ? "Result: every stage that ran passed." : "Result: FAILED");
        md.AddRange(failures.Select(f => "- " + f));
        var markdown = Path.Combine(folder, "report.md");
        File.WriteAllText(markdown, string.Join("\n", md) + "\n");

        var json = new JsonObject
        {
            ["started"] = report.Started.ToString("o", CultureInfo.InvariantCulture),
            ["totalSeconds"] = Math.Round(total, 1),
            ["variantCount"] = report.VariantCount,
            ["pairsCovered"] = report.PairsCovered,
            ["excluded"] = new JsonObject(report.Excluded.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)JsonValue.Create(e.Value)))),
            ["passed"] = failures.Count == 0,
            ["stages"] = new JsonArray([.. report.Ordered.Select(r => (JsonNode)new JsonObject
            {
                ["variant"] = r.Variant,
                ["stage"] = r.Stage,
                ["status"] = StatusText(r.Status),
                ["seconds"] = Math.Round(r.Seconds, 1),
                ["detail"] = r.Detail,
                ["log"] = Relative(r.LogFile, root),
            })]),
        };
        File.WriteAllText(Path.Combine(folder, "report.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        information("");
        foreach (var line in table)
        {
            information(line);
        }

        information("");
        information(string.Create(CultureInfo.InvariantCulture, $"Report: {Relative(markdown, root)} and report.json ({total:0} s in all)"));
        foreach (var line in failures)
        {
            error(line);
        }
    }

    private static string StatusText(StageStatus status) => status.ToString().ToLowerInvariant();

    private static string Relative(string path, string root) => string.IsNullOrEmpty(path) ? "" : Path.GetRelativePath(root, path);
}
