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
/// The generated services beside baselines that do the same work, all published in this run the way the Dockerfiles
/// publish (Release, linux-x64; ReadyToRun for JIT services, Native AOT for the AOT ones): host start against bare
/// web/webapiaot, first ready against the single-query API (same first connection and query), CPU time per request
/// of each hop against the bare app doing that hop's work, resident memory, and each service alone in a Cloud
/// Run-shaped cgroup (1 CPU, 512/384/256 MiB). Every comparison interleaved in rounds. Output:
/// artifacts/bench/report.md and report.json. The space runs as real processes (the toolkit's LocalSpace).
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

        if (Measurements.FindTool("clang") is null)
        {
            throw new InvalidOperationException("clang is not installed (Native AOT needs it): apt-get install clang zlib1g-dev");
        }

        // --profile measures nothing, so the last measured report outlives it (the profile is read beside it).
        var keptReport = settings.Profile ? BenchReport.Read(BenchRoot) : [];
        if (Directory.Exists(BenchRoot))
        {
            Directory.Delete(BenchRoot, recursive: true);
        }

        StopperFiles.Write(BenchRoot, File.ReadAllText(_paths.RepositoryGlobalJson));
        Directory.CreateDirectory(Logs);
        BenchReport.Restore(BenchRoot, keptReport);

        // 1. The template pack, the two spaces (default; --native-aot) and the baselines, all scaffolded now.
        Stages.PackTarget(settings.Configuration);
        Stages.InstallTarget();
        var jitSpace = new Variant("Bench.Space", new Dictionary<string, string>());
        var aotSpace = new Variant("Bench.Aot", new Dictionary<string, string> { ["native-aot"] = "true" });
        var blazorSpace = new Variant("Bench.Blazor", new Dictionary<string, string> { ["frontend"] = "blazor" });
        foreach (var space in new[] { jitSpace, aotSpace, blazorSpace })
        {
            Require(Stages.Instantiate(space, Path.Combine(BenchRoot, space.Name), label: space.Name), $"scaffolding {space.Name}");
        }

        var beforeSpace = settings.Before is null ? null : ScaffoldBefore(settings.Before);
        var baselines = Path.Combine(BenchRoot, "baselines");
        foreach (var (template, name) in new[] { ("web", "BareWeb"), ("webapiaot", "BareAot") })
        {
            var run = Stages.Dotnet(["new", template, "-n", name, "-o", Path.Combine(baselines, name), "--no-restore"], Path.Combine(Logs, $"{name}-new.log"));
            Require(Stages.Record("bench", $"{name}-new", run, ExitCodeProblem(run)), $"scaffolding dotnet new {template}");
        }

        foreach (var baseline in new[] { "SingleQueryApi", "BareRazor", "BareBlazor" })
        {
            CopyDirectory(Path.Combine(_paths.Root, "build", "bench", baseline), Path.Combine(baselines, baseline));
        }

        // The bare pages serve the frontend's own static files (stylesheet, icon), as its page links them.
        foreach (var bare in new[] { "BareRazor", "BareBlazor" })
        {
            CopyDirectory(Path.Combine(BenchRoot, jitSpace.Name, "src", $"{jitSpace.Name}.Frontend", "wwwroot"), Path.Combine(baselines, bare, "wwwroot"));
        }

        // 2. Publish everything the Dockerfile way (the bare web app gets the same ReadyToRun switch as ours).
        string Project(Variant space, string service) => Path.Combine(BenchRoot, space.Name, "src", $"{space.Name}.{service}", $"{space.Name}.{service}.csproj");
        if (settings.Profile)
        {
            Profile(jitSpace, Publish("backend-jit", Project(jitSpace, "Backend")), Publish("frontend", Project(jitSpace, "Frontend")));
            return;
        }

        var published = new Dictionary<string, string>
        {
            ["backend-jit"] = Publish("backend-jit", Project(jitSpace, "Backend")),
            ["frontend"] = Publish("frontend", Project(jitSpace, "Frontend")),
            ["backend-aot"] = Publish("backend-aot", Project(aotSpace, "Backend")),
            ["bare-web"] = Publish("bare-web", Path.Combine(baselines, "BareWeb", "BareWeb.csproj"), "-p:PublishReadyToRun=true"),
            ["bare-webapiaot"] = Publish("bare-webapiaot", Path.Combine(baselines, "BareAot", "BareAot.csproj")),
            ["single-query"] = Publish("single-query", Path.Combine(baselines, "SingleQueryApi", "SingleQueryApi.csproj")),
            ["single-query-aot"] = Publish("single-query-aot", Path.Combine(baselines, "SingleQueryApi", "SingleQueryApi.csproj"), "-p:PublishAot=true", "-p:PublishReadyToRun=false"),
            ["bare-razor"] = Publish("bare-razor", Path.Combine(baselines, "BareRazor", "BareRazor.csproj")),
            ["frontend-blazor"] = Publish("frontend-blazor", Project(blazorSpace, "Frontend")),
            ["bare-blazor"] = Publish("bare-blazor", Path.Combine(baselines, "BareBlazor", "BareBlazor.csproj")),
        };
        if (beforeSpace is not null)
        {
            published["backend-before"] = Publish("backend-before", Project(beforeSpace, "Backend"));
        }

        // 3. The space: PostgreSQL, fake Google, migrate and both services, from the published JIT build.
        using var http = new HttpClient();
        var (live, spaceSettings, token) = StartSpace(jitSpace, published["backend-jit"], published["frontend"], http);
        using var running = live;
        MigrateAot(live, published["backend-aot"], aotSpace);
        var subjects = Subjects(live, published, aotSpace, blazorSpace, beforeSpace, spaceSettings, token);
        foreach (var subject in subjects)
        {
            subject.SizeMiB = Measurements.DirectoryMiB(subject.PublishDirectory);
        }

        ColdStarts(subjects);
        var hops = HopRounds(live, subjects, token, http);
        var shaped = CloudRunShaped(subjects, token);
        BenchReport.Write(BenchRoot, settings, subjects, hops, shaped, IdTokenRequestsDuringLoad, information);
    }

    // --profile: the space from the published JIT build, its runtime writing perf maps (W^X off, so perf finds JIT code in them), then perf's call-graph samples
    // of the backend under the backend-alone load and of the frontend under the page load, each reported by symbol.
    private void Profile(Variant jitSpace, string backend, string frontend)
    {
        if (Measurements.FindTool("perf") is null)
        {
            throw new InvalidOperationException("perf is not installed: apt-get install linux-perf");
        }

        using var http = new HttpClient();
        var (live, _, token) = StartSpace(jitSpace, backend, frontend, http,
            new Dictionary<string, string> { ["DOTNET_PerfMapEnabled"] = "1", ["DOTNET_EnableWriteXorExecute"] = "0" });
        using var running = live;
        foreach (var (name, url, authorization, pid) in new[]
        {
            ("backend", live.BackendUrl + "/api/records?limit=50", token, live.Backend.Id),
            ("frontend", $"http://127.0.0.1:{live.FrontendPort}/", null, live.Frontend.Id),
        })
        {
            RunCleanWrk(url, authorization, Path.Combine(Logs, $"profile-{name}-warm-up-wrk.log"), settings.WarmUpSeconds);
            var data = Path.Combine(Logs, $"profile-{name}.data");
            var load = Task.Run(() => RunWrk(url, authorization, Path.Combine(Logs, $"profile-{name}-wrk.log"), settings.LoadSeconds + 2));
            var record = Stages.Run("perf", ["record", "-F", "999", "-g", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", data, "--", "sleep", settings.LoadSeconds.ToString(CultureInfo.InvariantCulture)],
                Path.Combine(Logs, $"profile-{name}-record.log"));
            load.GetAwaiter().GetResult();
            Require(Stages.Record("bench", $"profile-{name}-record", record, ExitCodeProblem(record)), $"perf record of the {name}");
            var report = Stages.Run("perf", ["report", "-i", data, "--stdio", "--no-children", "--sort", "dso,symbol", "--percent-limit", "0.5", "-g", "none"],
                Path.Combine(Logs, $"profile-{name}-report.log"));
            Require(Stages.Record("bench", $"profile-{name}-report", report, ExitCodeProblem(report)), $"perf report of the {name}");
            File.WriteAllText(Path.Combine(BenchRoot, $"profile-{name}.txt"), report.Output);
            information($"bench: the {name}'s profile is in {Path.Combine(BenchRoot, $"profile-{name}.txt")}");
        }
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

    // The space from the published JIT build (PostgreSQL with 50 records, fake Google, migrated, both services) and
    // the bearer token the frontend's account gets for the backend.
    private (LocalSpace Live, SpaceSettings Settings, string Token) StartSpace(Variant jitSpace, string backend, string frontend, HttpClient http,
        Dictionary<string, string>? extraEnvironment = null)
    {
        var spaceSettings = new SpaceSettings
        {
            Name = jitSpace.Name,
            BackendDll = Path.Combine(backend, $"{jitSpace.Name}.Backend.dll"),
            FrontendDll = Path.Combine(frontend, $"{jitSpace.Name}.Frontend.dll"),
            FakeGoogleDll = Stages.BuildFakeGoogle(),
            LogDirectory = Logs,
            LogPrefix = "space",
            ExtraEnvironment = extraEnvironment ?? [],
        };
        var live = new LocalSpace(spaceSettings, information);
        try
        {
            live.Start();
            live.Postgres.Sql("INSERT INTO records (title) SELECT 'bench record ' || g FROM generate_series(1, 50) g", LocalSpace.DatabaseName);
            var token = "Bearer " + http.GetStringAsync($"{live.FakeGoogleUrl}/fake/id-token?audience={Uri.EscapeDataString(live.BackendAudience)}&email={Uri.EscapeDataString(LocalSpace.FrontendServiceAccount)}")
                .GetAwaiter().GetResult().Trim().Trim('"');
            return (live, spaceSettings, token);
        }
        catch
        {
            live.Dispose();
            throw;
        }
    }

    // --before: the revision's template pack, packed and installed from its own tree (its own hive), and its default
    // space scaffolded beside this run's.
    private Variant ScaffoldBefore(string revision)
    {
        var tree = Path.Combine(BenchRoot, "before-tree");
        Directory.CreateDirectory(tree);
        var archive = Stages.Run("bash", ["-c", "git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\"", "archive", _paths.Root, revision, tree],
            Path.Combine(Logs, "before-archive.log"));
        Require(Stages.Record("bench", "before-archive", archive, ExitCodeProblem(archive), revision), $"extracting {revision}");
        var before = new ValidationStages(new BuildPaths(tree), _report, information, error);
        before.PackTarget(settings.Configuration);
        before.InstallTarget();
        var space = new Variant("Bench.Before", new Dictionary<string, string>());
        Require(before.Instantiate(space, Path.Combine(BenchRoot, space.Name), label: space.Name), $"scaffolding {space.Name} from {revision}");
        return space;
    }

    private List<BenchSubject> Subjects(LocalSpace live, Dictionary<string, string> published, Variant aotSpace, Variant blazorSpace, Variant? beforeSpace, SpaceSettings space, string token)
    {
        Dictionary<string, string> Frontend(int port)
        {
            var e = live.FrontendEnvironment();
            e["PORT"] = port.ToString(CultureInfo.InvariantCulture);
            return e;
        }

        Dictionary<string, string> BareFrontend(int port)
        {
            var e = WithPort(Quiet(), port);
            e["Backend__BaseUrl"] = live.BackendUrl;
            e["Backend__Authorization"] = token;
            return e;
        }

        Dictionary<string, string> Backend(int port)
        {
            var e = live.BackendEnvironment("backend");
            e["PORT"] = port.ToString(CultureInfo.InvariantCulture);
            return e;
        }

        Dictionary<string, string> SingleQuery(int port)
        {
            var e = WithPort(Quiet(), port);
            e["ConnectionStrings__Database"] = live.ConnectionString;
            return e;
        }

        var aotBackend = Path.Combine(published["backend-aot"], $"{aotSpace.Name}.Backend");
        const string List = "/api/records?limit=50";
        List<BenchSubject> before = beforeSpace is null
            ? []
            :
            [
                new() { Key = "backend-before", Title = $"backend (default) of {settings.Before}, first ready, to /healthz/ready", Entry = Path.Combine(published["backend-before"], $"{beforeSpace.Name}.Backend.dll"), PublishDirectory = published["backend-before"], ReadyPath = "/healthz/ready", LoadPath = List, Baseline = "single-query", Environment = Backend, Authorization = () => token },
            ];
        return
        [
            .. before,
            new() { Key = "bare-web", Title = "dotnet new web (JIT, ReadyToRun)", Entry = Path.Combine(published["bare-web"], "BareWeb.dll"), PublishDirectory = published["bare-web"], Environment = p => WithPort(Quiet(), p) },
            new() { Key = "bare-webapiaot", Title = "dotnet new webapiaot (Native AOT)", Entry = Path.Combine(published["bare-webapiaot"], "BareAot"), PublishDirectory = published["bare-webapiaot"], ReadyPath = "/todos", LoadPath = "/todos", Environment = p => WithPort(Quiet(), p) },
            // The backend's first-ready baselines: the first request opens the first connection and runs the query.
            new() { Key = "single-query", Title = "single-query API (JIT, ReadyToRun)", Entry = Path.Combine(published["single-query"], "SingleQueryApi.dll"), PublishDirectory = published["single-query"], Environment = SingleQuery, LoadedRss = true },
            new() { Key = "single-query-aot", Title = "single-query API (Native AOT)", Entry = Path.Combine(published["single-query-aot"], "SingleQueryApi"), PublishDirectory = published["single-query-aot"], Environment = SingleQuery },
            new() { Key = "bare-razor", Title = "bare Razor Pages, same page from one HttpClient call", Entry = Path.Combine(published["bare-razor"], "BareRazor.dll"), PublishDirectory = published["bare-razor"], LoadedRss = true, Environment = BareFrontend },
            new() { Key = "bare-blazor", Title = "bare Blazor static SSR, same page from one HttpClient call", Entry = Path.Combine(published["bare-blazor"], "BareBlazor.dll"), PublishDirectory = published["bare-blazor"], LoadedRss = true, Environment = BareFrontend },
            // Host start: timed to /healthz/live, which needs no database.
            new() { Key = "backend-jit-live", Title = "backend (default) host start, to /healthz/live", Entry = space.BackendDll, PublishDirectory = published["backend-jit"], ReadyPath = "/healthz/live", LoadPath = "/healthz/live", Baseline = "bare-web", Environment = Backend },
            new() { Key = "backend-aot-live", Title = "backend (--native-aot) host start, to /healthz/live", Entry = aotBackend, PublishDirectory = published["backend-aot"], ReadyPath = "/healthz/live", LoadPath = "/healthz/live", Baseline = "bare-webapiaot", Environment = Backend },
            // First ready: /healthz/ready answers once the first connection and query succeeded.
            new() { Key = "backend-jit", Title = "backend (default) first ready, to /healthz/ready", Entry = space.BackendDll, PublishDirectory = published["backend-jit"], ReadyPath = "/healthz/ready", LoadPath = List, Baseline = "single-query", Environment = Backend, Authorization = () => token, LoadedRss = true },
            new() { Key = "backend-aot", Title = "backend (--native-aot) first ready, to /healthz/ready", Entry = aotBackend, PublishDirectory = published["backend-aot"], ReadyPath = "/healthz/ready", LoadPath = List, Baseline = "single-query-aot", Environment = Backend, Authorization = () => token },
            new() { Key = "frontend", Title = "frontend (Razor Pages, default)", Entry = space.FrontendDll, PublishDirectory = published["frontend"], Baseline = "bare-razor", LoadedRss = true, Environment = Frontend },
            new() { Key = "frontend-blazor", Title = "frontend (--frontend blazor)", Entry = Path.Combine(published["frontend-blazor"], $"{blazorSpace.Name}.Frontend.dll"), PublishDirectory = published["frontend-blazor"], Baseline = "bare-blazor", LoadedRss = true, Environment = Frontend },
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
                    if (subject.LoadedRss)
                    {
                        Requests(subject, port, settings.RequestsBeforeRss);
                        subject.RssLoadedMiB.Add(Measurements.ResidentMiB(process.Id));
                        subject.RssLoadedParts.Add(Measurements.ResidentParts(process.Id));
                    }

                    process.Stop();
                }

                information($"bench {repetition}/{settings.Repetitions} {subject.Key}: ready in {milliseconds:0} ms, RSS {subject.RssStartMiB[^1]:0.0} MiB" +
                    (subject.LoadedRss ? $" → {subject.RssLoadedMiB[^1]:0.0} MiB after {settings.RequestsBeforeRss} requests" : ""));
            }
        }
    }

    // Starts the subject, polls it every 5 ms until the ready path answers 200; returns the process and the milliseconds.
    private static (ServiceProcess Process, double Milliseconds) Start(BenchSubject subject, int port, string logFile, CloudRunShape? shape = null)
    {
        var (file, arguments) = LocalSpace.Launch(subject.Entry);
        if (shape is not null)
        {
            (file, arguments) = shape.Wrap(file, arguments);
        }

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

    // CPU per request of each hop, in rounds: the full path (frontend → backend → PostgreSQL), the bare Razor app on
    // the same backend, the backend alone and the single-query API, one after the other in every round. Each process's
    // CPU is read from /proc before and after the run; PostgreSQL's is its postmaster's and every child's.
    private List<HopRun> HopRounds(LocalSpace live, List<BenchSubject> subjects, string token, HttpClient http)
    {
        var dataDirectory = Path.Combine(live.Postgres.Folder, "data");
        var started = new List<ServiceProcess>();
        try
        {
            int StartResident(string key)
            {
                var subject = subjects.Single(s => s.Key == key);
                var port = FreePorts.Next();
                var (process, _) = Start(subject, port, Path.Combine(Logs, $"{key}-load.log"));
                started.Add(process);
                return port;
            }

            double Postgres() => ProcessCpu.PostgresMilliseconds(dataDirectory);
            double Backend() => ProcessCpu.Milliseconds(live.Backend.Id);
            // A page path: the page's process (started here, or the space's own frontend), then the backend and PostgreSQL.
            (string, string, string?, (string, Func<double>)[], Func<int>) Page(string key, int? port = null, Func<int>? pid = null)
            {
                port ??= StartResident(key);
                var process = started.LastOrDefault();
                pid ??= () => process!.Id;
                return (key, $"http://127.0.0.1:{port}/", null, [(key, () => ProcessCpu.Milliseconds(pid())), ("backend", Backend), ("postgres", Postgres)], pid);
            }

            var singlePort = StartResident("single-query");
            var single = started[^1];
            var paths = new (string Path, string Url, string? Authorization, (string Name, Func<double> Cpu)[] Processes, Func<int> Sampled)[]
            {
                Page("frontend", live.FrontendPort, () => live.Frontend.Id),
                Page("bare-razor"),
                Page("frontend-blazor"),
                Page("bare-blazor"),
                ("backend-alone", live.BackendUrl + "/api/records?limit=50", token, [("backend", Backend), ("postgres", Postgres)], () => live.Backend.Id),
                ("single-query", $"http://127.0.0.1:{singlePort}/", null, [("single-query", () => ProcessCpu.Milliseconds(single.Id)), ("postgres", Postgres)], () => single.Id),
            };
            if (subjects.Any(s => s.Key == "backend-before"))
            {
                var beforePort = StartResident("backend-before");
                var before = started[^1];
                paths = [.. paths, ("backend-before-alone", $"http://127.0.0.1:{beforePort}/api/records?limit=50", token, [("backend-before", () => ProcessCpu.Milliseconds(before.Id)), ("postgres", Postgres)], () => before.Id)];
            }

            // One discarded run per path first: tiered compilation is still replacing start-up code in the first seconds.
            foreach (var path in paths)
            {
                RunCleanWrk(path.Url, path.Authorization, Path.Combine(Logs, $"wrk-{path.Path}-warm-up.log"), settings.WarmUpSeconds);
            }

            int IdentityRequests() => (int)JsonNode.Parse(http.GetStringAsync($"{live.FakeGoogleUrl}/fake/stats").GetAwaiter().GetResult())!["identityRequests"]!;
            var identityBefore = IdentityRequests();
            var runs = new List<HopRun>();
            for (var round = 1; round <= settings.LoadRounds; round++)
            {
                foreach (var path in paths)
                {
                    var before = path.Processes.ToDictionary(p => p.Name, p => p.Cpu());
                    using (var peak = new ResidentPeak(path.Sampled))
                    {
                        var result = RunCleanWrk(path.Url, path.Authorization, Path.Combine(Logs, $"wrk-{path.Path}-{round}.log"), settings.LoadSeconds);
                        var cpu = path.Processes.ToDictionary(p => p.Name, p => p.Cpu() - before[p.Name]);
                        runs.Add(new HopRun(path.Path, result.Requests, cpu, peak.MiB, result.P50Milliseconds, result.P99Milliseconds));
                    }

                    var run = runs[^1];
                    information($"bench hops {round}/{settings.LoadRounds} {path.Path}: {run.Requests} requests, CPU ms/request " +
                        string.Join(", ", run.CpuMs.Keys.Select(k => $"{k} {run.PerRequest(k):0.000}")));
                }
            }

            IdTokenRequestsDuringLoad = IdentityRequests() - identityBefore;
            return runs;
        }
        finally
        {
            foreach (var process in started)
            {
                process.Stop();
                process.Dispose();
            }
        }
    }

    /// <summary>The ID tokens the frontend asked the metadata server for during the hop rounds.</summary>
    public int IdTokenRequestsDuringLoad { get; private set; }

    // Each service alone in a Cloud Run-shaped instance (1 CPU; 512 MiB, the deploy's default, then 384 and 256), under
    // the same wrk load; the hop it calls runs outside. A limit that kills it or costs errors has not held.
    private List<ShapedRun> CloudRunShaped(List<BenchSubject> subjects, string token)
    {
        var runs = new List<ShapedRun>();
        if (CloudRunShape.Unavailable() is { } reason)
        {
            information($"bench: no Cloud Run-shaped runs: {reason}");
            runs.Add(new ShapedRun("", 0, 0, 0, 0, 0, 0, 0, 0, false, reason));
            return runs;
        }

        foreach (var key in new[] { "frontend", "frontend-blazor", "backend-jit", "backend-aot" })
        {
            var subject = subjects.Single(s => s.Key == key);
            foreach (var memory in new[] { 512, 384, 256 })
            {
                runs.Add(ShapedRunOf(subject, memory, subject.Authorization() is null ? null : token));
                var run = runs[^1];
                information($"bench Cloud Run-shaped {key} at {memory} MiB: {(run.Held ? "held" : "did not hold")}, {run.Requests} requests, {run.Errors} errors, p99 {run.P99Ms:0.0} ms, peak {run.PeakMiB:0} MiB {run.Note}");
            }
        }

        return runs;
    }

    private ShapedRun ShapedRunOf(BenchSubject subject, int memory, string? authorization)
    {
        CloudRunShape shape;
        try
        {
            shape = CloudRunShape.Create(subject.Key, memory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ShapedRun(subject.Key, memory, 0, 0, 0, 0, 0, 0, 0, false, $"the cgroup could not be made: {e.Message}");
        }

        using (shape)
        {
            var port = FreePorts.Next();
            var log = Path.Combine(Logs, $"shaped-{subject.Key}-{memory}");
            ServiceProcess process;
            try
            {
                (process, _) = Start(subject, port, log + ".log", shape);
            }
            catch (LoggedFailureException e)
            {
                return new ShapedRun(subject.Key, memory, 0, 0, 0, 0, shape.PeakMiB, 0, shape.LimitHits, false, $"did not start: {e.Message}");
            }

            using (process)
            {
                var url = $"http://127.0.0.1:{port}{subject.LoadPath}";
                RunWrk(url, authorization, log + "-warm-up-wrk.log", settings.WarmUpSeconds);
                // The group is charged only for pages first touched inside it (shared files the machine had cached
                // stay charged elsewhere), so the process's own resident peak is sampled beside it.
                double peakRss;
                WrkResult result;
                using (var peak = new ResidentPeak(() => process.Id))
                {
                    result = RunWrk(url, authorization, log + "-wrk.log", settings.LoadSeconds);
                    peakRss = peak.MiB;
                }

                var survived = !process.HasExited;
                var shaped = new ShapedRun(subject.Key, memory, result.Requests, result.SocketErrors + result.Non2xxOr3xx, result.P50Milliseconds, result.P99Milliseconds,
                    shape.PeakMiB, peakRss, shape.LimitHits, survived, survived ? "" : $"ended with exit code {process.ExitCode}");
                process.Stop();
                return shaped;
            }
        }
    }

    // wrk at fixed concurrency (the toolkit's runner: the bearer token never on a command line).
    private WrkResult RunWrk(string url, string? authorization, string log, int seconds) =>
        CloudRunSpace.Validation.Load.Wrk.RunAsync(new Uri(url), settings.Concurrency, TimeSpan.FromSeconds(seconds), log, authorization).GetAwaiter().GetResult();

    // A run whose answers are not all 2xx fails the Bench: failures are cheap, so CPU per request over them measures
    // the wrong thing.
    private WrkResult RunCleanWrk(string url, string? authorization, string log, int seconds)
    {
        var result = RunWrk(url, authorization, log, seconds);
        return result.Errors is { } errors ? throw new LoggedFailureException($"wrk on {url}: {errors}", log) : result;
    }
}
