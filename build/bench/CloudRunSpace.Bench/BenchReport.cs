using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static CloudRunSpace.Bench.Measurements;

namespace CloudRunSpace.Bench;

/// <summary>artifacts/bench/report.md and report.json: every figure beside its like-for-like baseline as a ratio, and the issue's targets met or missed.</summary>
public static class BenchReport
{
    /// <summary>Writes both files and prints the Markdown.</summary>
    /// <param name="benchRoot">artifacts/bench.</param>
    /// <param name="settings">What was measured.</param>
    /// <param name="subjects">The started subjects with their figures.</param>
    /// <param name="hops">The CPU-per-request rounds.</param>
    /// <param name="shaped">The Cloud Run-shaped runs.</param>
    /// <param name="idTokenRequests">ID tokens the frontend asked for during the rounds.</param>
    /// <param name="information">Prints a line.</param>
    public static void Write(string benchRoot, BenchSettings settings, List<BenchSubject> subjects, List<HopRun> hops, List<ShapedRun> shaped, int idTokenRequests, Action<string> information)
    {
        var byKey = subjects.ToDictionary(s => s.Key);
        var md = new StringBuilder();
        void Line(FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));
        static string Spread(IReadOnlyList<double> values, string format) =>
            values.Count == 0 ? "–" : $"{Median(values).ToString(format, CultureInfo.InvariantCulture)} ({values.Min().ToString(format, CultureInfo.InvariantCulture)}–{values.Max().ToString(format, CultureInfo.InvariantCulture)})";
        var targets = new JsonArray();
        var targetLines = new List<string>();
        void Target(string name, double value, double limit, string detail)
        {
            var met = value <= limit;
            targets.Add(new JsonObject { ["target"] = name, ["value"] = Math.Round(value, 3), ["limit"] = limit, ["met"] = met });
            targetLines.Add(string.Create(CultureInfo.InvariantCulture,
                $"- {(met ? "MET" : "MISSED")}: {name}: {value:0.000}× (limit ≤ {limit}×{(met ? "" : $", over by {(value / limit - 1) * 100:0.#} %")}); {detail}"));
        }

        Line($"# Benchmark: the generated services beside baselines doing the same work");
        Line($"");
        Line($"{DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, load average at the end: {File.ReadAllText("/proc/loadavg").Trim()}.");
        Line($"Medians with (min–max) over {settings.Repetitions} interleaved start repetitions and {settings.LoadRounds} load rounds; wrk -t2 -c{settings.Concurrency}, {settings.LoadSeconds} s per measured run after one discarded {settings.WarmUpSeconds} s run per path.");
        Line($"");

        // Starts: each beside its baseline; the ratio of medians.
        Line($"## Start (spawn → first 200 of the ready path, polled every 5 ms)");
        Line($"");
        Line($"| subject | ms | baseline | × baseline |");
        Line($"|---|---|---|---|");
        var services = new JsonArray();
        foreach (var s in subjects)
        {
            var node = new JsonObject
            {
                ["key"] = s.Key, ["title"] = s.Title, ["baseline"] = s.Baseline,
                ["startMs"] = new JsonObject { ["median"] = Median(s.StartMs), ["min"] = s.StartMs.Min(), ["max"] = s.StartMs.Max(), ["all"] = new JsonArray([.. s.StartMs.Select(v => (JsonNode)Math.Round(v, 1))]) },
                ["rssStartMiB"] = Median(s.RssStartMiB),
                ["publishMiB"] = Math.Round(s.SizeMiB, 1),
            };
            if (s.LoadedRss)
            {
                node["rssLoadedMiB"] = Median(s.RssLoadedMiB);
            }

            var ratio = s.Baseline == "" ? double.NaN : Median(s.StartMs) / Median(byKey[s.Baseline].StartMs);
            if (s.Baseline != "")
            {
                node["startVsBaseline"] = Math.Round(ratio, 3);
            }

            services.Add(node);
            Line($"| {s.Title} | {Spread(s.StartMs, "0")} | {(s.Baseline == "" ? "(a baseline)" : s.Baseline)} | {(s.Baseline == "" ? "" : ratio.ToString("0.000", CultureInfo.InvariantCulture))} |");
        }

        double StartRatio(string key) => Median(byKey[key].StartMs) / Median(byKey[byKey[key].Baseline].StartMs);
        Target("host start, default backend ÷ bare web (JIT)", StartRatio("backend-jit-live"), 1.10, "spawn → /healthz/live against spawn → / of dotnet new web");
        Target("host start, --native-aot backend ÷ webapiaot", StartRatio("backend-aot-live"), 1.25, "spawn → /healthz/live against spawn → /todos of dotnet new webapiaot");
        Target("first ready, default backend ÷ single-query API (JIT)", StartRatio("backend-jit"), 1.10, "both open their first connection and run a query");
        Target("first ready, --native-aot backend ÷ single-query API (AOT)", StartRatio("backend-aot"), 1.10, "both open their first connection and run a query");

        // Memory.
        Line($"");
        Line($"## Resident memory (MiB)");
        Line($"");
        Line($"| subject | after start | after {settings.RequestsBeforeRss} sequential requests | peak under the wrk load |");
        Line($"|---|---|---|---|");
        // A page's path is named after its subject; the backend alone ran the JIT backend.
        List<double> PeakOf(string key) => [.. hops.Where(h => h.Path == (key == "backend-jit" ? "backend-alone" : key)).Select(h => h.PeakRssMiB)];
        foreach (var s in subjects.Where(s => s.LoadedRss))
        {
            Line($"| {s.Title} | {Spread(s.RssStartMiB, "0.0")} | {Spread(s.RssLoadedMiB, "0.0")} | {Spread(PeakOf(s.Key), "0.0")} |");
        }

        Line($"");
        md.AppendLine("Where it goes after the requests (median MiB, /proc/PID/smaps): " + string.Join("; ", subjects.Where(s => s.LoadedRss).Select(s =>
            string.Create(CultureInfo.InvariantCulture, $"{s.Key}: files {Median([.. s.RssLoadedParts.Select(p => p.FilesMiB)]):0.0}, JIT code {Median([.. s.RssLoadedParts.Select(p => p.JitCodeMiB)]):0.0}, heap/native/stacks {Median([.. s.RssLoadedParts.Select(p => p.OtherMiB)]):0.0}"))) + ".");
        foreach (var frontend in new[] { "frontend", "frontend-blazor" })
        {
            var bare = byKey[frontend].Baseline;
            Target($"{frontend} RSS after {settings.RequestsBeforeRss} requests ÷ {bare}", Median(byKey[frontend].RssLoadedMiB) / Median(byKey[bare].RssLoadedMiB), 1.20,
                string.Create(CultureInfo.InvariantCulture, $"{Median(byKey[frontend].RssLoadedMiB):0.0} against {Median(byKey[bare].RssLoadedMiB):0.0} MiB; peak under load {Median(PeakOf(frontend)):0.0} against {Median(PeakOf(bare)):0.0} MiB"));
        }

        // CPU per request, per hop, per round; ratios are medians of each round's own ratio.
        Line($"");
        Line($"## CPU per request (ms, user + system, from /proc)");
        Line($"");
        Line($"| path | process | CPU ms / request | p50 ms | p99 ms |");
        Line($"|---|---|---|---|---|");
        var hopJson = new JsonArray();
        foreach (var path in hops.Select(h => h.Path).Distinct())
        {
            var runs = hops.Where(h => h.Path == path).ToList();
            foreach (var process in runs[0].CpuMs.Keys)
            {
                Line($"| {path} | {process} | {Spread([.. runs.Select(r => r.PerRequest(process))], "0.000")} | | |");
            }

            Line($"| {path} | **all** | {Spread([.. runs.Select(r => r.TotalPerRequest)], "0.000")} | {Spread([.. runs.Select(r => r.P50Ms)], "0.00")} | {Spread([.. runs.Select(r => r.P99Ms)], "0.00")} |");
            hopJson.Add(new JsonObject
            {
                ["path"] = path,
                ["rounds"] = new JsonArray([.. runs.Select(r => (JsonNode)new JsonObject
                {
                    ["requests"] = r.Requests, ["p50Ms"] = r.P50Ms, ["p99Ms"] = r.P99Ms, ["peakRssMiB"] = Math.Round(r.PeakRssMiB, 1),
                    ["cpuMsPerRequest"] = new JsonObject([.. r.CpuMs.Keys.Select(k => KeyValuePair.Create(k, (JsonNode?)Math.Round(r.PerRequest(k), 4)))]),
                })]),
            });
        }

        double RoundRatio(string path, Func<HopRun, double> value, string basePath, Func<HopRun, double> baseValue) =>
            Median([.. hops.Where(h => h.Path == path).Zip(hops.Where(h => h.Path == basePath), (m, b) => value(m) / baseValue(b))]);
        var backendCpu = RoundRatio("backend-alone", r => r.PerRequest("backend"), "single-query", r => r.PerRequest("single-query"));
        var sumCpu = RoundRatio("frontend", r => r.TotalPerRequest, "single-query", r => r.TotalPerRequest);
        Line($"");
        Line($"A page path is the page's process, the backend and PostgreSQL. The sum of the default frontend's path against the single-query API with its PostgreSQL: {sumCpu:0.000}× (median of the rounds' ratios).");
        foreach (var frontend in new[] { "frontend", "frontend-blazor" })
        {
            var bare = byKey[frontend].Baseline;
            Target($"CPU per request, {frontend} ÷ {bare}", RoundRatio(frontend, r => r.PerRequest(frontend), bare, r => r.PerRequest(bare)), 1.30,
                "the page's own process, both calling the same backend");
        }

        Target("CPU per request, backend ÷ single-query API", backendCpu, 1.30, "the backend alone (with a token) against the single-query API");
        if (byKey.ContainsKey("backend-before"))
        {
            Line($"");
            Line($"## Before and after: this tree's default backend ÷ {settings.Before}'s, interleaved in this run");
            Line($"");
            Line($"- first ready: {Median(byKey["backend-jit"].StartMs) / Median(byKey["backend-before"].StartMs):0.000}× ({Median(byKey["backend-jit"].StartMs):0} against {Median(byKey["backend-before"].StartMs):0} ms)");
            Line($"- CPU per request, the backend alone: {RoundRatio("backend-alone", r => r.PerRequest("backend"), "backend-before-alone", r => r.PerRequest("backend-before")):0.000}× (median of the rounds' ratios); with PostgreSQL: {RoundRatio("backend-alone", r => r.TotalPerRequest, "backend-before-alone", r => r.TotalPerRequest):0.000}×");
        }

        // Cloud Run-shaped runs.
        Line($"");
        Line($"## Alone in a Cloud Run-shaped instance (cgroup v1: cpuset of 1 CPU, memory limit, no swap)");
        Line($"");
        var shapedJson = new JsonArray([.. shaped.Select(r => (JsonNode)JsonSerializer.SerializeToNode(r)!)]);
        if (shaped is [{ Service: "" } unavailable])
        {
            Line($"Not measured: {unavailable.Note}.");
        }
        else
        {
            Line($"| service | limit MiB | held | requests | errors | p50 ms | p99 ms | group peak MiB | process RSS peak MiB | limit hits | note |");
            Line($"|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in shaped)
            {
                Line($"| {r.Service} | {r.MemoryMiB} | {(r.Held ? "yes" : "NO")} | {r.Requests} | {r.Errors} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.PeakMiB:0} | {r.PeakRssMiB:0} | {r.LimitHits} | {r.Note} |");
            }

            Line($"");
            foreach (var service in shaped.Select(r => r.Service).Distinct())
            {
                var at512 = shaped.Single(r => r.Service == service && r.MemoryMiB == 512);
                var smallest = shaped.Where(r => r.Service == service && r.Held).Select(r => r.MemoryMiB).DefaultIfEmpty(0).Min();
                Line($"- {service}: {(at512.Held ? "holds" : "DOES NOT HOLD")} at 512 MiB; the smallest limit that holds: {(smallest == 0 ? "none of 256/384/512" : $"{smallest} MiB")}.");
                targets.Add(new JsonObject { ["target"] = $"{service} holds at 512 MiB, 1 CPU", ["met"] = at512.Held, ["smallestHoldingMiB"] = smallest });
                targetLines.Add($"- {(at512.Held ? "MET" : "MISSED")}: {service} alone at 1 CPU / 512 MiB under the load: {at512.Errors} errors, {(at512.Survived ? "running" : "killed")}; smallest that holds {smallest} MiB");
            }
        }

        // Publish sizes, ID tokens.
        Line($"");
        Line($"## Publish size (MiB)");
        Line($"");
        Line($"| subject | MiB | × baseline |");
        Line($"|---|---|---|");
        foreach (var s in subjects.Where(s => !s.Key.EndsWith("-live", StringComparison.Ordinal)))
        {
            Line($"| {s.Title} | {s.SizeMiB:0.0} | {(s.Baseline == "" ? "" : (s.SizeMiB / byKey[s.Baseline].SizeMiB).ToString("0.00", CultureInfo.InvariantCulture) + $" ({s.Baseline})")} |");
        }

        Line($"");
        Line($"ID tokens the frontend asked the metadata server for during {settings.LoadRounds} rounds of load: {idTokenRequests} (one per token lifetime expected, not one per request).");
        Line($"");
        Line($"## Targets");
        Line($"");
        foreach (var line in targetLines)
        {
            md.AppendLine(line);
        }

        var json = new JsonObject
        {
            ["repetitions"] = settings.Repetitions, ["loadRounds"] = settings.LoadRounds, ["concurrency"] = settings.Concurrency,
            ["services"] = services, ["hops"] = hopJson, ["cpuSumVsSingleQuery"] = Math.Round(sumCpu, 3), ["cloudRunShaped"] = shapedJson,
            ["idTokenRequestsDuringLoad"] = idTokenRequests, ["targets"] = targets,
        };
        File.WriteAllText(Path.Combine(benchRoot, ReportJson), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(benchRoot, ReportMarkdown), md.ToString());
        information(md.ToString());
    }

    /// <summary>The report files a run left in <paramref name="benchRoot"/>, by name (none when there was no run).</summary>
    /// <param name="benchRoot">artifacts/bench.</param>
    public static Dictionary<string, byte[]> Read(string benchRoot) =>
        new[] { ReportJson, ReportMarkdown }
            .Where(name => File.Exists(Path.Combine(benchRoot, name)))
            .ToDictionary(name => name, name => File.ReadAllBytes(Path.Combine(benchRoot, name)));

    /// <summary>Writes back what <see cref="Read"/> returned.</summary>
    /// <param name="benchRoot">artifacts/bench.</param>
    /// <param name="files">The report files by name.</param>
    public static void Restore(string benchRoot, Dictionary<string, byte[]> files)
    {
        foreach (var (name, content) in files)
        {
            File.WriteAllBytes(Path.Combine(benchRoot, name), content);
        }
    }

    private const string ReportJson = "report.json";
    private const string ReportMarkdown = "report.md";
}
