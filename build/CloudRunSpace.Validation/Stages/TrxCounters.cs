using System.Xml.Linq;

namespace CloudRunSpace.Validation.Stages;

/// <summary>The counters of a Visual Studio TRX file: its &lt;Counters total="" executed="" passed="" failed=""&gt; element.</summary>
/// <param name="Total">Tests found.</param>
/// <param name="Executed">Tests run.</param>
/// <param name="Passed">Tests passed.</param>
/// <param name="Failed">Tests failed.</param>
public sealed record TrxCounters(int Total, int Executed, int Passed, int Failed)
{
    /// <summary>Reads the counters of a TRX file.</summary>
    /// <param name="trxFile">The file.</param>
    /// <exception cref="InvalidOperationException">It has no Counters element.</exception>
    public static TrxCounters Read(string trxFile)
    {
        var counters = XDocument.Load(trxFile).Descendants().FirstOrDefault(e => e.Name.LocalName == "Counters")
            ?? throw new InvalidOperationException($"{trxFile} has no <Counters> element");
        int Count(string name) => int.TryParse((string?)counters.Attribute(name), out var n) ? n : 0;
        return new TrxCounters(Count("total"), Count("executed"), Count("passed"), Count("failed"));
    }

    /// <summary>Why a test run with these counters failed, or null: a failed test, or none run.</summary>
    public string? Problem => Failed > 0 ? $"{Failed} test(s) failed" : Executed == 0 ? "no test ran" : null;

    /// <inheritdoc />
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Executed} executed of {Total}";
}

/// <summary>How to run a test project or solution (<see cref="ValidationStages.Test"/>).</summary>
/// <param name="TrxFileName">The TRX file name, written into artifacts/validation/trx/.</param>
public sealed record TestRunOptions(string TrxFileName)
{
    /// <summary>The configuration (-c), or null for the project's default.</summary>
    public string? Configuration { get; init; }

    /// <summary>Run what was built (--no-build).</summary>
    public bool NoBuild { get; init; }

    /// <summary>A test filter (--filter), or null.</summary>
    public string? Filter { get; init; }

    /// <summary>Settings for the test run (a null value removes one).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>The run's time limit, or null for the default.</summary>
    public TimeSpan? Timeout { get; init; }
}
