using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CloudRunSpace.Validation.Load;
using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Processes;
using CloudRunSpace.Validation.Reporting;
using CloudRunSpace.Validation.Spaces;
using CloudRunSpace.Validation.Stages;
using CloudRunSpace.Validation.Workspace;
using static CloudRunSpace.Validation.Stages.ValidationStages;

namespace CloudRunSpace.Bench;

/// <summary>
/// Cold start and footprint of the generated services beside bare ASP.NET Core baselines, all published in this run
/// the way the Dockerfiles publish (Release, linux-x64; ReadyToRun for JIT services); then throughput at fixed
/// concurrency (wrk, pgbench). Output: artifacts/bench/report.md and report.json, every figure beside its baseline.
/// The space runs as real processes (the toolkit's LocalSpace: PostgreSQL, fake Google, migrate).
/// </summary>
/// <param name="settings">How much to measure.</param>
/// <param name="information">Prints a line.</param>
/// <param name="error">Prints an error line.</param>
public sealed class Bench(BenchSettings settings, Action<string> information, Action<string> error)
{
    private readonly BuildPaths _paths = new(settings.Root);
    private readonly ValidationReport _report = new();
    private string BenchRoot => Path.Combine(_paths.Artifacts, "bench");
    private string Logs => Path.Combine(BenchRoot, "logs");
    private ValidationStages? _stages;
    private ValidationStages Stages => _stages ??= new ValidationStages(_paths, _report, information, error);

    /// <summary>Scaffolds, publishes, starts and measures everything; writes the report.</summary>
    public void Run()
    {
        if (Measurements.FindTool("wrk") is null)
        {
            throw new InvalidOperationException("wrk is not installed: apt-get install wrk");
        }

        var pgbench = Measurements.FindTool("pgbench") ?? throw new InvalidOperationException("pgbench is not installed (postgresql package)");
        if (Measurements.FindTool("clang") is null)
        {
            throw new InvalidOperationException("clang is not installed (Native AOT needs it): apt-get install clang zlib1g-dev");
        }

        if (Directory.Exists(BenchRoot))
        {
            Directory.Delete(BenchRoot, recursive: true);
        }

        StopperFiles.Write(BenchRoot, File.ReadAllText(_paths.RepositoryGlobalJson));
        Directory.CreateDirectory(Logs);

        // 1. The template pack, the two spaces (default; --native-aot) and the baselines, all scaffolded now.
        Stages.PackTarget(settings.Configuration);
        Stages.InstallTarget();
        var jitSpace = new Variant("Bench.Space", new Dictionary<string, string>());
        var aotSpace = new Variant("Bench.Aot", new Dictionary<string, string> { ["native-aot"] = "true" });
        foreach (var space in new[] { jitSpace, aotSpace })
        {
            Require(Stages.Instantiate(space, Path.Combine(BenchRoot, space.Name), label: space.Name), $"scaffolding {space.Name}");
        }

        var baselines = Path.Combine(BenchRoot, "baselines");
        foreach (var (template, name) in new[] { ("web", "BareWeb"), ("webapiaot", "BareAot") })
        {
            var run = Stages.Dotnet(["new", template, "-n", name, "-o", Path.Combine(baselines, name), "--no-restore"], Path.Combine(Logs, $"{name}-new.log"));
            Require(Stages.Record("bench", $"{name}-new", run, ExitCodeProblem(run)), $"scaffolding dotnet new {template}");
        }

        CopyDirectory(Path.Combine(_paths.Root, "build", "bench", "SingleQueryApi"), Path.Combine(baselines, "SingleQueryApi"));

        // 2. Publish everything the Dockerfile way (the bare web app gets the same ReadyToRun switch as ours).
        string Project(Variant space, string service) => Path.Combine(BenchRoot, space.Name, "src", $"{space.Name}.{service}", $"{space.Name}.{service}.csproj");
        var published = new Dictionary<string, string>
        {
            ["backend-jit"] = Publish("backend-jit", Project(jitSpace, "Backend")),
            ["frontend"] = Publish("frontend", Project(jitSpace, "Frontend")),
            ["backend-aot"] = Publish("backend-aot", Project(aotSpace, "Backend")),
            ["bare-web"] = Publish("bare-web", Path.Combine(baselines, "BareWeb", "BareWeb.csproj"), "-p:PublishReadyToRun=true"),
            ["bare-webapiaot"] = Publish("bare-webapiaot", Path.Combine(baselines, "BareAot", "BareAot.csproj")),
            ["single-query"] = Publish("single-query", Path.Combine(baselines, "SingleQueryApi", "SingleQueryApi.csproj")),
        };

        // 3. The space: PostgreSQL, fake Google, migrate and both services, from the published JIT build.
        var spaceSettings = new SpaceSettings
        {
            Name = jitSpace.Name,
            BackendDll = Path.Combine(published["backend-jit"], $"{jitSpace.Name}.Backend.dll"),
            FrontendDll = Path.Combine(published["frontend"], $"{jitSpace.Name}.Frontend.dll"),
            FakeGoogleDll = Stages.BuildFakeGoogle(),
            LogDirectory = Logs,
            LogPrefix = "space",
        };
        using var live = new LocalSpace(spaceSettings, information);
        live.Start();
        live.Postgres.Sql("INSERT INTO records (title) SELECT 'bench record ' || g FROM generate_series(1, 50) g", LocalSpace.DatabaseName);
        MigrateAot(live, published["backend-aot"], aotSpace);

        using var http = new HttpClient();
        var token = "Bearer " + http.GetStringAsync($"{live.FakeGoogleUrl}/fake/id-token?audience={Uri.EscapeDataString(live.BackendAudience)}&email={Uri.EscapeDataString(LocalSpace.FrontendServiceAccount)}")
            .GetAwaiter().GetResult().Trim().Trim('"');
        var subjects = Subjects(live, published, aotSpace, spaceSettings, token);
        foreach (var subject in subjects)
        {
            subject.SizeMiB = Measurements.DirectoryMiB(subject.PublishDirectory);
        }

        ColdStarts(subjects);
        var load = Throughput(live, published, subjects, token, http);
        load["pgbench"] = Pgbench(live, pgbench);
        BenchReport.Write(BenchRoot, settings, subjects, load, information);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    private static Dictionary<string, string> WithPort(Dictionary<string, string> environment, int port)
    {
        environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        return environment;
    }

    private static Dictionary<string, string> Quiet() => new() { ["DOTNET_NOLOGO"] = "1", ["Logging__LogLevel__Default"] = "Warning" };

    // Publishes a project the Dockerfile way; returns the output folder.
    private string Publish(string label, string project, params string[] extra)
    {
        var output = Path.Combine(BenchRoot, "publish", label);
        var restore = Stages.Dotnet(["restore", project, "--runtime", "linux-x64", .. extra], Path.Combine(Logs, $"{label}-restore.log"));
        Require(Stages.Record("bench", $"{label}-restore", restore, ExitCodeProblem(restore)), $"restoring {label}");
        var publish = Stages.Dotnet(["publish", project, "--no-restore", "--configuration", "Release", "--runtime", "linux-x64", "--output", output, .. extra],
            Path.Combine(Logs, $"{label}-publish.log"), timeout: TimeSpan.FromMinutes(40));
        var warnings = publish.Output.Split('\n').Count(l => l.Contains(": warning ", StringComparison.Ordinal) || l.Contains("analysis warning", StringComparison.Ordinal));
        Require(Stages.Record("bench", $"{label}-publish", publish, ExitCodeProblem(publish), $"{warnings} warning line(s)"), $"publishing {label}");
        return output;
    }

    // The published AOT binary's `migrate` entry, into a database of its own (DbUp's journal names scripts by assembly,
    // and the AOT space's assembly name differs); its service then runs on the migrated one.
    private void MigrateAot(LocalSpace live, string publishDirectory, Variant aotSpace)
    {
        live.Postgres.Sql("CREATE DATABASE app_aot OWNER app");
        var environment = live.BackendEnvironment("migrate");
        environment["ConnectionStrings__Database"] = live.ConnectionString.Replace($"Database={LocalSpace.DatabaseName}", "Database=app_aot", StringComparison.Ordinal);
        var (file, arguments) = LocalSpace.Launch(Path.Combine(publishDirectory, $"{aotSpace.Name}.Backend"), "migrate");
        using var migrate = new ServiceProcess("migrate-aot", file, arguments, environment, publishDirectory, Path.Combine(Logs, "migrate-aot.log"));
        if (!migrate.WaitForExit(TimeSpan.FromSeconds(60)) || migrate.ExitCode != 0)
        {
            throw new LoggedFailureException("the Native AOT backend's migrate failed", migrate.LogFile);
        }
    }

    private static List<BenchSubject> Subjects(LocalSpace live, Dictionary<string, string> published, Variant aotSpace, SpaceSettings space, string token)
    {
        Dictionary<string, string> Backend(int port)
        {
            var e = live.BackendEnvironment("backend");
            e["PORT"] = port.ToString(CultureInfo.InvariantCulture);
            return e;
        }

        var aotBackend = Path.Combine(published["backend-aot"], $"{aotSpace.Name}.Backend");
        return
        [
            new() { Key = "bare-web", Title = "dotnet new web (JIT, ReadyToRun)", Entry = Path.Combine(published["bare-web"], "BareWeb.dll"), PublishDirectory = published["bare-web"], Environment = p => WithPort(Quiet(), p) },
            new() { Key = "bare-webapiaot", Title = "dotnet new webapiaot (Native AOT)", Entry = Path.Combine(published["bare-webapiaot"], "BareAot"), PublishDirectory = published["bare-webapiaot"], ReadyPath = "/todos", LoadPath = "/todos", Environment = p => WithPort(Quiet(), p) },
            new() { Key = "backend-jit", Title = "backend (default: JIT, ReadyToRun)", Entry = space.BackendDll, PublishDirectory = published["backend-jit"], ReadyPath = "/healthz/ready", LoadPath = "/api/records?limit=50", Baseline = "bare-web", Environment = Backend, Authorization = () => token },
            new() { Key = "backend-aot", Title = "backend (--native-aot)", Entry = aotBackend, PublishDirectory = published["backend-aot"], ReadyPath = "/healthz/ready", LoadPath = "/api/records?limit=50", Baseline = "bare-web", AotBaseline = "bare-webapiaot", Environment = Backend, Authorization = () => token },
            // The same two backends timed to /healthz/live, which needs no database: splits start-up into the host
            // coming up and the first database connection (pool, authentication, first query) behind /healthz/ready.
            new() { Key = "backend-jit-live", Title = "backend (default), to /healthz/live", Entry = space.BackendDll, PublishDirectory = published["backend-jit"], ReadyPath = "/healthz/live", LoadPath = "/healthz/live", Baseline = "bare-web", Environment = Backend },
            new() { Key = "backend-aot-live", Title = "backend (--native-aot), to /healthz/live", Entry = aotBackend, PublishDirectory = published["backend-aot"], ReadyPath = "/healthz/live", LoadPath = "/healthz/live", Baseline = "bare-web", AotBaseline = "bare-webapiaot", Environment = Backend },
            new() { Key = "frontend", Title = "frontend (JIT, ReadyToRun)", Entry = space.FrontendDll, PublishDirectory = published["frontend"], ReadyPath = "/", LoadPath = "/", Baseline = "bare-web", Environment = p => { var e = live.FrontendEnvironment(); e["PORT"] = p.ToString(CultureInfo.InvariantCulture); return e; } },
        ];
    }

    // Cold starts, interleaved: each repetition starts every subject once, so a busy moment hits all alike.
    private void ColdStarts(List<BenchSubject> subjects)
    {
        for (var repetition = 1; repetition <= settings.Repetitions; repetition++)
        {
            foreach (var subject in subjects)
            {
                var port = FreePorts.Next();
                var (process, milliseconds) = Start(subject, port, Path.Combine(Logs, $"{subject.Key}-{repetition}.log"));
                using (process)
                {
                    subject.StartMs.Add(milliseconds);
                    subject.RssStartMiB.Add(Measurements.ResidentMiB(process.Id));
                    Requests(subject, port, settings.RequestsBeforeRss);
                    subject.RssLoadedMiB.Add(Measurements.ResidentMiB(process.Id));
                    subject.RssLoadedParts.Add(Measurements.ResidentParts(process.Id));
                    process.Stop();
                }

                information($"bench {repetition}/{settings.Repetitions} {subject.Key}: ready in {milliseconds:0} ms, RSS {subject.RssStartMiB[^1]:0.0} → {subject.RssLoadedMiB[^1]:0.0} MiB after {settings.RequestsBeforeRss} requests");
            }
        }
    }

    // Starts the subject, polls it every 5 ms until the ready path answers 200; returns the process and the milliseconds.
    private static (ServiceProcess Process, double Milliseconds) Start(BenchSubject subject, int port, string logFile)
    {
        var (file, arguments) = LocalSpace.Launch(subject.Entry);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        var process = new ServiceProcess(subject.Key, file, arguments, subject.Environment(port), subject.PublishDirectory, logFile);
        var url = $"http://127.0.0.1:{port}{subject.ReadyPath}";
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new LoggedFailureException($"{subject.Key} {process.ExitedBefore("answering")}", logFile);
            }

            try
            {
                using var response = http.GetAsync(url).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return (process, watch.Elapsed.TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not up yet
            }

            Thread.Sleep(5);
        }

        process.Dispose();
        throw new LoggedFailureException($"{subject.Key} did not answer {url} within 60 s", logFile);
    }

    private static void Requests(BenchSubject subject, int port, int count)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var authorization = subject.Authorization();
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{subject.LoadPath}");
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            using var response = http.Send(request);
            if (!response.IsSuccessStatusCode)
            {
                throw new LoggedFailureException($"{subject.Key}: request {i + 1} to {subject.LoadPath} answered {(int)response.StatusCode}");
            }
        }
    }

    // wrk at fixed concurrency (the toolkit's runner: the bearer token never on a command line); a run with errors
    // fails the Bench, since failures are cheap and a rate that includes them measures the wrong thing.
    private JsonObject Wrk(string url, string? authorization, string log, bool warmUp)
    {
        if (warmUp)
        {
            RunWrk(url, authorization, log.Replace(".log", "-warm-up.log", StringComparison.Ordinal), settings.WarmUpSeconds);
        }

        var result = RunWrk(url, authorization, log, settings.LoadSeconds);
        return new JsonObject { ["requestsPerSecond"] = result.RequestsPerSecond, ["p50Ms"] = result.P50Milliseconds, ["p99Ms"] = result.P99Milliseconds };
    }

    private WrkResult RunWrk(string url, string? authorization, string log, int seconds)
    {
        var result = CloudRunSpace.Validation.Load.Wrk.RunAsync(new Uri(url), settings.Concurrency, TimeSpan.FromSeconds(seconds), log, authorization).GetAwaiter().GetResult();
        return result.Errors is { } errors ? throw new LoggedFailureException($"wrk on {url}: {errors}", log) : result;
    }

    // Throughput at fixed concurrency: the full path, the backend alone, the one-service baseline, in rounds.
    private JsonObject Throughput(LocalSpace live, Dictionary<string, string> published, List<BenchSubject> subjects, string token, HttpClient http)
    {
        var single = new BenchSubject
        {
            Key = "single-query", Entry = Path.Combine(published["single-query"], "SingleQueryApi.dll"), PublishDirectory = published["single-query"],
            Environment = p => { var e = WithPort(Quiet(), p); e["ConnectionStrings__Database"] = live.ConnectionString; return e; },
        };
        var singlePort = FreePorts.Next();
        var (singleProcess, _) = Start(single, singlePort, Path.Combine(Logs, "single-query.log"));
        using var singleService = singleProcess;
        var load = new JsonObject();
        int IdentityRequests() => (int)JsonNode.Parse(http.GetStringAsync($"{live.FakeGoogleUrl}/fake/stats").GetAwaiter().GetResult())!["identityRequests"]!;
        var identityBefore = IdentityRequests();
        double peakFrontendRss = 0, peakBackendRss = 0;
        var sampling = false;
        var rounds = new Dictionary<string, List<JsonObject>> { ["fullPath"] = [], ["backendAlone"] = [], ["singleService"] = [] };
        using (new Timer(_ =>
        {
            if (!Volatile.Read(ref sampling))
            {
                return;
            }

            try
            {
                peakFrontendRss = Math.Max(peakFrontendRss, Measurements.ResidentMiB(live.Frontend.Id));
                peakBackendRss = Math.Max(peakBackendRss, Measurements.ResidentMiB(live.Backend.Id));
            }
            catch (IOException)
            {
                // a process between samples
            }
        }, null, 0, 200))
        {
            for (var round = 1; round <= settings.LoadRounds; round++)
            {
                // The processes stay up between rounds: only the first run of each follows the discarded warm-up.
                Volatile.Write(ref sampling, true);
                rounds["fullPath"].Add(Wrk(live.FrontendUrl + "/", null, Path.Combine(Logs, $"wrk-full-path-{round}.log"), warmUp: round == 1));
                Volatile.Write(ref sampling, false);
                rounds["backendAlone"].Add(Wrk(live.BackendUrl + "/api/records?limit=50", token, Path.Combine(Logs, $"wrk-backend-{round}.log"), warmUp: round == 1));
                rounds["singleService"].Add(Wrk($"http://127.0.0.1:{singlePort}/", null, Path.Combine(Logs, $"wrk-single-service-{round}.log"), warmUp: round == 1));
                information($"bench load round {round}/{settings.LoadRounds}: full path {rounds["fullPath"][^1]["requestsPerSecond"]} req/s, backend alone {rounds["backendAlone"][^1]["requestsPerSecond"]}, single service {rounds["singleService"][^1]["requestsPerSecond"]}");
            }
        }

        var identityAfter = IdentityRequests();
        foreach (var (key, measured) in rounds)
        {
            load[key] = BenchReport.MedianOfRounds(measured, rounds["singleService"]);
        }

        load["fullPath"]!["frontendPeakRssMiB"] = peakFrontendRss;
        load["fullPath"]!["backendPeakRssMiB"] = peakBackendRss;
        load["fullPath"]!["idTokenRequestsDuringLoad"] = identityAfter - identityBefore;

        // The generated services turn tiered PGO off; a second frontend with it back on, measured the same way, shows
        // what that choice is worth.
        var frontend = subjects.Single(s => s.Key == "frontend");
        var pgoFrontend = new BenchSubject
        {
            Key = "frontend-tiered-pgo", Entry = frontend.Entry, PublishDirectory = frontend.PublishDirectory,
            Environment = p => { var e = frontend.Environment(p); e["DOTNET_TieredPGO"] = "1"; return e; },
        };
        var pgoPort = FreePorts.Next();
        var (pgoProcess, _) = Start(pgoFrontend, pgoPort, Path.Combine(Logs, "frontend-tiered-pgo.log"));
        using (pgoProcess)
        {
            load["fullPathTieredPgo"] = Wrk($"http://127.0.0.1:{pgoPort}/", null, Path.Combine(Logs, "wrk-full-path-tiered-pgo.log"), warmUp: true);
            pgoProcess.Stop();
        }

        singleService.Stop();
        return load;
    }

    private JsonObject Pgbench(LocalSpace live, string pgbench)
    {
        var queryFile = Path.Combine(Logs, "pgbench-query.sql");
        File.WriteAllText(queryFile, BenchSettings.Query + ";\n");
        var connection = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = live.ConnectionString };
        var run = Stages.Run(pgbench,
            ["-n", "-h", "127.0.0.1", "-p", BenchSettings.Text(live.Postgres.Port), "-U", (string)connection["Username"], "-c", BenchSettings.Text(settings.Concurrency),
             "-j", "2", "-T", BenchSettings.Text(settings.LoadSeconds), "-f", queryFile, LocalSpace.DatabaseName],
            Path.Combine(Logs, "pgbench.log"), environment: new Dictionary<string, string?> { ["PGPASSWORD"] = (string)connection["Password"] });
        if (run.ExitCode != 0)
        {
            throw new LoggedFailureException("pgbench failed", run.LogFile);
        }

        var tps = run.Output.Split('\n').First(l => l.StartsWith("tps = ", StringComparison.Ordinal));
        return new JsonObject { ["transactionsPerSecond"] = double.Parse(tps[6..].Split(' ')[0], CultureInfo.InvariantCulture) };
    }
}
