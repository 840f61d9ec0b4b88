using System.Diagnostics;
using System.Globalization;
using CloudRunSpace.SpaceChecks.Space;

namespace CloudRunSpace.SpaceChecks.Faults;

/// <summary>The space of the fault checks; collects each check's figures and writes them to the faults report at the end.</summary>
public sealed class FaultsFixture : SpaceFixture
{
    private readonly Stopwatch _watch = new();
    private readonly List<(string Fault, string Result)> _rows = [];
    private readonly List<string> _failures = [];

    /// <summary>Process command lines sampled while the space ran under load (the secret scan reads them).</summary>
    public List<string> CommandLines { get; } = [];

    /// <inheritdoc />
    public override async ValueTask InitializeAsync()
    {
        _watch.Start();
        await base.InitializeAsync();
    }

    /// <summary>A row of the report.</summary>
    public void Row(string fault, string result)
    {
        lock (_rows)
        {
            _rows.Add((fault, result));
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{fault}: {result}");
    }

    /// <summary>A failed check, for the report's result line.</summary>
    public void Failed(string check, string problem)
    {
        lock (_rows)
        {
            _failures.Add($"{check}: {problem}");
        }
    }

    /// <summary>Every process's command line now.</summary>
    public void SampleCommandLines()
    {
        foreach (var file in Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline")))
        {
            try
            {
                var text = File.ReadAllText(file).Replace('\0', ' ');
                if (text.Length > 0)
                {
                    lock (CommandLines)
                    {
                        CommandLines.Add(text);
                    }
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }
    }

    /// <summary>A number as the report writes it.</summary>
    public static string Invariant(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        var report = CheckSettings.FaultsReport;
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        var lines = new List<string>
        {
            "# Faults and load",
            "",
            $"Variant {VariantName}, started through its AppHost (Aspire.Hosting.Testing): PostgreSQL, the local Google, migrate, the backend behind its local Cloud Run front end, two frontend instances behind the public one. {DateTimeOffset.UtcNow:u}, {Invariant(_watch.Elapsed.TotalSeconds, "0")} s (the space's start {Invariant(StartTime.TotalSeconds, "0.0")} s of it), on {Environment.ProcessorCount} cores.",
            "",
            "| fault | result |",
            "| --- | --- |",
        };
        lines.AddRange(_rows.Select(r => $"| {r.Fault} | {r.Result} |"));
        lines.Add("");
        const string notStarted = "the space did not start (the TRX file says why)";
        if (StartTime == TimeSpan.Zero && !_failures.Contains(notStarted))
        {
            _failures.Insert(0, notStarted);
        }

        lines.Add(_failures.Count == 0 ? "Result: every check that ran passed (the TRX file lists them)." : $"Result: FAILED — {string.Join("; ", _failures)}");
        await File.WriteAllLinesAsync(report, lines);
    }
}
