namespace CloudRunSpace.Validation.Reporting;

/// <summary>How a stage ended.</summary>
public enum StageStatus
{
    /// <summary>It ran and passed.</summary>
    Passed,

    /// <summary>It ran and failed.</summary>
    Failed,

    /// <summary>It did not run (an earlier stage failed, or there was nothing to run).</summary>
    Skipped,
}

/// <summary>One stage of one variant (or of the repository).</summary>
public sealed class StageResult
{
    /// <summary>The variant, or <see cref="ValidationReport.RepositoryStages"/>.</summary>
    public string Variant { get; init; } = "";

    /// <summary>The stage, e.g. build.</summary>
    public string Stage { get; init; } = "";

    /// <summary>How it ended.</summary>
    public StageStatus Status { get; init; }

    /// <summary>How long it took.</summary>
    public double Seconds { get; init; }

    /// <summary>What it found, or why it failed.</summary>
    public string Detail { get; init; } = "";

    /// <summary>Its log file, or empty.</summary>
    public string LogFile { get; init; } = "";
}

/// <summary>
/// Results of every stage (variant × stage × status × seconds), turned into report.md and report.json and the
/// run's verdict (<see cref="ReportWriter"/>). A failed stage stops its own variant only.
/// </summary>
public sealed class ValidationReport
{
    /// <summary>The repository-level stages (pack, install, ...) are listed under this name in the variant column.</summary>
    public const string RepositoryStages = "(repository)";

    private readonly List<StageResult> _results = [];

    /// <summary>Every result, in the order added.</summary>
    public IReadOnlyList<StageResult> Results => _results;

    /// <summary>When the report was started.</summary>
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    /// <summary>How many variants the matrix has, once computed.</summary>
    public int? VariantCount { get; set; }

    /// <summary>How many option-value pairs they cover, once computed.</summary>
    public int? PairsCovered { get; set; }

    /// <summary>Options left out of the matrix (long name → why).</summary>
    public IReadOnlyDictionary<string, string> Excluded { get; set; } = new Dictionary<string, string>();

    /// <summary>The failed stages, in report order.</summary>
    public IEnumerable<StageResult> Failures => Ordered.Where(r => r.Status == StageStatus.Failed);

    /// <summary>Grouped by variant (in order of first appearance), each variant's stages in the order they ran.</summary>
    public IEnumerable<StageResult> Ordered => _results
        .Select((r, i) => (Result: r, Index: i, First: _results.FindIndex(x => x.Variant == r.Variant)))
        .OrderBy(x => x.First).ThenBy(x => x.Index).Select(x => x.Result);

    /// <summary>Adds a result.</summary>
    /// <param name="result">The result.</param>
    /// <returns>The same result.</returns>
    public StageResult Add(StageResult result)
    {
        _results.Add(result);
        return result;
    }

    /// <summary>Adds a stage that did not run.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="stage">The stage.</param>
    /// <param name="why">Why it did not run.</param>
    public StageResult Skip(string variant, string stage, string why) =>
        Add(new StageResult { Variant = variant, Stage = stage, Status = StageStatus.Skipped, Detail = why });

    /// <summary>Whether a stage of a variant passed.</summary>
    /// <param name="variant">The variant.</param>
    /// <param name="stage">The stage.</param>
    public bool Passed(string variant, string stage) =>
        _results.Any(r => r.Variant == variant && r.Stage == stage && r.Status == StageStatus.Passed);
}
