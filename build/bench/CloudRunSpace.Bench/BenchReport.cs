using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static CloudRunSpace.Bench.Measurements;

namespace CloudRunSpace.Bench;

/// <summary>artifacts/bench/report.md and report.json: every figure beside its baseline as a ratio, and the issue's targets met or missed.</summary>
public static class BenchReport
{
    /// <summary>
    /// One path's figures over the load rounds: the median of each, every round kept, and (beside the baseline) its
    /// ratio to the single-service baseline as the median of the rounds' own ratios.
    /// </summary>
    /// <param name="measured">The path's rounds.</param>
    /// <param name="singleService">The baseline's rounds.</param>
    public static JsonObject MedianOfRounds(List<JsonObject> measured, List<JsonObject> singleService)
    {
        double MedianOf(string field) => Median([.. measured.Select(r => (double)r[field]!)]);
        var result = new JsonObject
        {
            ["requestsPerSecond"] = MedianOf("requestsPerSecond"),
            ["p50Ms"] = MedianOf("p50Ms"),
            ["p99Ms"] = MedianOf("p99Ms"),
            ["rounds"] = new JsonArray([.. measured.Select(r => (JsonNode)r.DeepClone())]),
        };
        if (!ReferenceEquals(measured, singleService))
        {
            result["vsSingleService"] = Math.Round(Median([.. measured.Zip(singleService, (m, s) => (double)m["requestsPerSecond"]! / (double)s["requestsPerSecond"]!)]), 3);
        }

        return result;
    }

    /// <summary>Writes both files and prints the Markdown.</summary>
    /// <param name="benchRoot">artifacts/bench.</param>
    /// <param name="settings">What was measured.</param>
    /// <param name="subjects">The started subjects with their figures.</param>
    /// <param name="load">The throughput figures.</param>
    /// <param name="information">Prints a line.</param>
    public static void Write(string benchRoot, BenchSettings settings, List<BenchSubject> subjects, JsonObject load, Action<string> information)
    {
        var byKey = subjects.ToDictionary(s => s.Key);
        static double Ratio(double value, double baseline) => Math.Round(value / baseline, 3);
        var services = new JsonArray();
        var md = new StringBuilder();
        void Line(FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));
        Line($"# Cold start and footprint benchmark");
        Line($"");
        Line($"{DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}.");
        Line($"{settings.Repetitions} interleaved repetitions; start = spawn → first 200 from the ready path (polled every 5 ms); RSS from /proc after start and after {settings.RequestsBeforeRss} sequential requests; each wrk run follows a discarded {settings.WarmUpSeconds} s run.");
        Line($"");
        Line($"| service | start median ms (min–max) | × baseline | RSS start MiB | RSS after load MiB | × baseline | publish MiB | × baseline |");
        Line($"|---|---|---|---|---|---|---|---|");
        foreach (var s in subjects)
        {
            var node = new JsonObject
            {
                ["key"] = s.Key,
                ["title"] = s.Title,
                ["startMs"] = new JsonObject { ["median"] = Median(s.StartMs), ["min"] = s.StartMs.Min(), ["max"] = s.StartMs.Max(), ["all"] = new JsonArray([.. s.StartMs.Select(v => (JsonNode)Math.Round(v, 1))]) },
                ["rssStartMiB"] = Median(s.RssStartMiB),
                ["rssLoadedMiB"] = Median(s.RssLoadedMiB),
                ["publishMiB"] = Math.Round(s.SizeMiB, 1),
            };
            var baselines = new[] { s.Baseline, s.AotBaseline }.Where(k => k != "").ToList();
            foreach (var baselineKey in baselines)
            {
                var b = byKey[baselineKey];
                node[$"vs_{baselineKey}"] = new JsonObject
                {
                    ["start"] = Ratio(Median(s.StartMs), Median(b.StartMs)),
                    ["rssLoaded"] = Ratio(Median(s.RssLoadedMiB), Median(b.RssLoadedMiB)),
                    ["publishSize"] = Ratio(s.SizeMiB, b.SizeMiB),
                };
            }

            services.Add(node);
            string R(string what) => baselines.Count == 0 ? "baseline" : string.Join(" / ", baselines.Select(k => $"{node[$"vs_{k}"]![what]} ({k})"));
            Line($"| {s.Title} | {Median(s.StartMs):0} ({s.StartMs.Min():0}–{s.StartMs.Max():0}) | {R("start")} | {Median(s.RssStartMiB):0.0} | {Median(s.RssLoadedMiB):0.0} | {R("rssLoaded")} | {s.SizeMiB:0.0} | {R("publishSize")} |");
        }

        Line($"");
        Line($"### Where resident memory goes, after {settings.RequestsBeforeRss} requests (median MiB, /proc/PID/smaps)");
        Line($"");
        Line($"| service | mapped files (runtime, framework, app) | JIT-compiled code | heap, native, stacks |");
        Line($"|---|---|---|---|");
        foreach (var s in subjects)
        {
            double Part(Func<RssBreakdown, double> part) => Median([.. s.RssLoadedParts.Select(part)]);
            Line($"| {s.Title} | {Part(p => p.FilesMiB):0.0} | {Part(p => p.JitCodeMiB):0.0} | {Part(p => p.OtherMiB):0.0} |");
            services.First(n => (string)n!["key"]! == s.Key)!["rssLoadedPartsMiB"] = new JsonObject
            {
                ["files"] = Math.Round(Part(p => p.FilesMiB), 1), ["jitCode"] = Math.Round(Part(p => p.JitCodeMiB), 1), ["other"] = Math.Round(Part(p => p.OtherMiB), 1),
            };
        }

        var full = load["fullPath"]!.AsObject();
        var singleRps = (double)load["singleService"]!["requestsPerSecond"]!;
        var pgTps = (double)load["pgbench"]!["transactionsPerSecond"]!;
        var pgoRps = (double)load["fullPathTieredPgo"]!["requestsPerSecond"]!;
        full["vsPgbench"] = Ratio((double)full["requestsPerSecond"]!, pgTps);
        load["fullPathTieredPgo"]!["vsSingleService"] = Ratio(pgoRps, singleRps);
        load["fullPathTieredPgo"]!["vsFullPath"] = Ratio(pgoRps, (double)full["requestsPerSecond"]!);
        load["singleService"]!["vsPgbench"] = Ratio(singleRps, pgTps);
        Line($"");
        Line($"## Throughput, wrk -t2 -c{settings.Concurrency} -d{settings.LoadSeconds}s (pgbench -c{settings.Concurrency} -j2, same query)");
        Line($"");
        Line($"| path | req/s | p50 ms | p99 ms | × single service | × pgbench |");
        Line($"|---|---|---|---|---|---|");
        foreach (var (key, title) in new[] { ("fullPath", "frontend page → backend → PostgreSQL"), ("fullPathTieredPgo", "the same, frontend with DOTNET_TieredPGO=1"), ("backendAlone", "backend /api/records alone (with token)"), ("singleService", "single minimal API, same query (baseline)") })
        {
            var l = load[key]!;
            Line($"| {title} | {(double)l["requestsPerSecond"]!:0} | {(double)l["p50Ms"]!:0.00} | {(double)l["p99Ms"]!:0.00} | {l["vsSingleService"]?.ToString() ?? "1"} | {Ratio((double)l["requestsPerSecond"]!, pgTps)} |");
        }

        Line($"| pgbench, the database's ceiling | {pgTps:0} | | | {Ratio(pgTps, singleRps)} | 1 |");
        Line($"");
        string Rounds(string key) => string.Join(", ", load[key]!["rounds"]!.AsArray().Select(r => ((double)r!["requestsPerSecond"]!).ToString("0", CultureInfo.InvariantCulture)));
        Line($"Medians of {settings.LoadRounds} rounds; each round ran the three paths one after the other, and \"× single service\" is the median of each round's own ratio. Per round, req/s: full path {Rounds("fullPath")}; backend alone {Rounds("backendAlone")}; single service {Rounds("singleService")}. The TieredPGO row is one run after the rounds. Every wrk run got only 2xx answers and no socket errors (any other outcome fails the Bench).");
        Line($"");
        Line($"ID tokens the frontend asked the metadata server for during the full-path load: {full["idTokenRequestsDuringLoad"]} (one per token lifetime expected, not one per request).");
        Line($"Peak RSS during the full-path load: frontend {(double)full["frontendPeakRssMiB"]!:0.0} MiB, backend {(double)full["backendPeakRssMiB"]!:0.0} MiB.");
        Line($"");

        // The issue's targets, each met or missed by how much.
        var targets = new JsonArray();
        void Target(string name, double value, double limit, bool atMost, string unit)
        {
            var met = atMost ? value <= limit : value >= limit;
            targets.Add(new JsonObject { ["target"] = name, ["value"] = Math.Round(value, 3), ["limit"] = limit, ["met"] = met });
            Line($"- {(met ? "MET" : "MISSED")}: {name}: {value:0.###}{unit} (limit {(atMost ? "≤" : "≥")} {limit}{unit}{(met ? "" : $", off by {Math.Abs(value - limit):0.###}{unit}")})");
        }

        Line($"## Targets");
        Line($"");
        double StartOf(string key) => Median(byKey[key].StartMs);
        Target("default backend start ÷ bare web", StartOf("backend-jit") / StartOf("bare-web"), 1.3, true, "×");
        Target("--native-aot backend start ÷ bare web", StartOf("backend-aot") / StartOf("bare-web"), 0.5, true, "×");
        Target("--native-aot backend start ÷ bare webapiaot", StartOf("backend-aot") / StartOf("bare-webapiaot"), 1.5, true, "×");
        foreach (var key in new[] { "backend-jit", "backend-aot", "frontend" })
        {
            Target($"{key} RSS after {settings.RequestsBeforeRss} requests", Median(byKey[key].RssLoadedMiB), 120, true, " MiB");
        }

        Target("frontend peak RSS under wrk load", (double)full["frontendPeakRssMiB"]!, 120, true, " MiB");
        Target("backend peak RSS under wrk load", (double)full["backendPeakRssMiB"]!, 120, true, " MiB");
        Target("full-path throughput ÷ single service", (double)full["vsSingleService"]!, 0.4, false, "×");

        var json = new JsonObject { ["repetitions"] = settings.Repetitions, ["concurrency"] = settings.Concurrency, ["services"] = services, ["load"] = load.DeepClone(), ["targets"] = targets };
        File.WriteAllText(Path.Combine(benchRoot, "report.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(benchRoot, "report.md"), md.ToString());
        information(md.ToString());
    }
}
