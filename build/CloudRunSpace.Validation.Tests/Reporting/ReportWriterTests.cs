using System.Text.Json.Nodes;
using CloudRunSpace.Validation.Reporting;

namespace CloudRunSpace.Validation.Tests.Reporting;

/// <summary>The validation report: the same table shape as ever, failures listed with the log to read.</summary>
public sealed class ReportWriterTests(TemporaryFolder temp) : IClassFixture<TemporaryFolder>
{
    [Fact]
    public void The_table_has_five_padded_columns_with_the_seconds_right_aligned()
    {
        var report = new ValidationReport();
        report.Add(new StageResult { Variant = ValidationReport.RepositoryStages, Stage = "pack", Status = StageStatus.Passed, Seconds = 3.44, Detail = "CloudRunSpace.Templates.0.1.0.nupkg" });
        report.Add(new StageResult { Variant = "Acme.Shop", Stage = "build", Status = StageStatus.Passed, Seconds = 21.05, Detail = "warnings as errors" });

        var lines = ReportWriter.TableLines(report);

        Assert.Equal(
            [
                "| variant      | stage | status | seconds | detail                              |",
                "|--------------|-------|--------|--------:|-------------------------------------|",
                "| (repository) | pack  | passed |     3.4 | CloudRunSpace.Templates.0.1.0.nupkg |",
                "| Acme.Shop    | build | passed |    21.1 | warnings as errors                  |",
            ],
            lines);
    }

    [Fact]
    public void Stages_are_grouped_by_variant_in_the_order_each_variant_first_appeared()
    {
        var report = new ValidationReport();
        foreach (var (variant, stage) in new[] { ("A", "build"), ("B", "build"), ("A", "test"), ("B", "test") })
        {
            report.Add(new StageResult { Variant = variant, Stage = stage });
        }

        Assert.Equal(["A build", "A test", "B build", "B test"], report.Ordered.Select(r => $"{r.Variant} {r.Stage}"));
    }

    [Fact]
    public void Failures_are_listed_under_the_table_with_their_log_relative_to_the_root()
    {
        var report = new ValidationReport { VariantCount = 6, PairsCovered = 40 };
        report.Add(new StageResult { Variant = "Acme.Shop", Stage = "restore", Status = StageStatus.Passed, Seconds = 2 });
        report.Add(new StageResult
        {
            Variant = "Acme.Shop", Stage = "build", Status = StageStatus.Failed, Seconds = 9, Detail = "exit code 1",
            LogFile = Path.Combine(temp.Path, "artifacts", "validation", "logs", "Acme.Shop-build.log"),
        });
        report.Skip("Acme.Shop", "test", "an earlier stage of this variant failed");
        var printed = new List<string>();
        var errors = new List<string>();

        ReportWriter.Write(report, temp.Path, Path.Combine(temp.Path, "artifacts", "validation"), printed.Add, errors.Add);

        var markdown = File.ReadAllText(Path.Combine(temp.Path, "artifacts", "validation", "report.md"));
        var failure = "FAILED: variant Acme.Shop, stage build: exit code 1 — read artifacts/validation/logs/Acme.Shop-build.log";
        Assert.Contains("6 variants covering 40 option-value pairs.", markdown);
        Assert.Contains("| Acme.Shop | test    | skipped |     0.0 | an earlier stage of this variant failed |", markdown);
        Assert.EndsWith($"Result: FAILED\n- {failure}\n", markdown);
        Assert.Equal([failure], errors);
        Assert.Contains(printed, l => l.StartsWith("| variant", StringComparison.Ordinal));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, "artifacts", "validation", "report.json")))!;
        Assert.False((bool)json["passed"]!);
        Assert.Equal("failed", (string?)json["stages"]![1]!["status"]);
        Assert.Equal("artifacts/validation/logs/Acme.Shop-build.log", (string?)json["stages"]![1]!["log"]);
    }

    [Fact]
    public void A_run_without_failures_says_every_stage_that_ran_passed()
    {
        var report = new ValidationReport();
        report.Add(new StageResult { Variant = "Acme.Shop", Stage = "build", Status = StageStatus.Passed, Seconds = 1 });

        ReportWriter.Write(report, temp.Path, temp.Path, _ => { }, _ => { });

        Assert.EndsWith("| Acme.Shop | build | passed |     1.0 |        |\n\nResult: every stage that ran passed.\n", File.ReadAllText(Path.Combine(temp.Path, "report.md")));
        Assert.True((bool)JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, "report.json")))!["passed"]!);
    }
}
