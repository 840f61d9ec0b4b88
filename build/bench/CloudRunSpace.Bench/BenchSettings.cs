using System.Globalization;

namespace CloudRunSpace.Bench;

/// <summary>How much the Bench measures: the full run, or a short one (--quick) that only shows the machinery works.</summary>
/// <param name="Root">The repository root.</param>
/// <param name="Configuration">The configuration the template pack is packed in.</param>
/// <param name="Repetitions">Interleaved cold-start repetitions of every subject.</param>
/// <param name="RequestsBeforeRss">Sequential requests before resident memory is read again.</param>
/// <param name="Concurrency">wrk connections.</param>
/// <param name="LoadSeconds">Length of each measured wrk run.</param>
/// <param name="WarmUpSeconds">
/// Length of the discarded wrk run before each path's first measurement: tiered compilation is still replacing start-up
/// code for the first seconds, and that is a start-up cost, not throughput.
/// </param>
/// <param name="LoadRounds">
/// CPU-per-request rounds: each loads the full path, the bare Razor app, the backend alone and the single-query API
/// one after the other, so a busy moment of a shared machine hits all alike; ratios are medians over the rounds.
/// </param>
/// <param name="Profile">
/// Instead of measuring: profile where the backend's and the frontend's CPU goes under the load (perf, with the
/// runtime's perf map for JIT code), into artifacts/bench/profile-*.txt.
/// </param>
/// <param name="Before">
/// A git revision whose template pack's default backend is measured beside this one's, interleaved in the same run
/// (start to ready, CPU per request): the before/after of a change to the generated services. Null: none.
/// </param>
public sealed record BenchSettings(
    string Root, string Configuration, int Repetitions = 7, int RequestsBeforeRss = 2000, int Concurrency = 16,
    int LoadSeconds = 6, int WarmUpSeconds = 5, int LoadRounds = 7, bool Profile = false, string? Before = null)
{

    /// <summary>Reads --root DIR, --configuration NAME, --quick, --profile and --before REVISION.</summary>
    /// <param name="args">The command line.</param>
    public static BenchSettings Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var root = Path.GetFullPath(Value("--root") ?? Directory.GetCurrentDirectory());
        var settings = new BenchSettings(root, Value("--configuration") ?? "Release", Profile: args.Contains("--profile"), Before: Value("--before"));
        return args.Contains("--quick")
            ? settings with { Repetitions = 1, RequestsBeforeRss = 100, LoadSeconds = 2, WarmUpSeconds = 1, LoadRounds = 1 }
            : settings;
    }

    /// <summary>A number for the report, invariant.</summary>
    /// <param name="value">The number.</param>
    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
