// The Faults stage (default variant only): the space as real processes (the toolkit's LocalSpace) under load while its parts
// fail — PostgreSQL stopped, the backend killed, the metadata server unreachable at the frontend's start,
// SIGTERM — plus a wrk load run and a scan for the database password. Figures go to artifacts/validation/faults.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using CloudRunSpace.Validation.Http;
using CloudRunSpace.Validation.Load;
using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Postgres;
using CloudRunSpace.Validation.Processes;
using CloudRunSpace.Validation.Spaces;

// One request of a load run: when it started and ended (seconds since the run began), and its status or error.
public sealed record LoadSample(double Start, double End, int Status, string Error, string Tag, string Body)
{
    public double Seconds => End - Start;
}

// Workers that send requests until stopped; every request is kept as a LoadSample.
public sealed class LoadRun : IDisposable
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource stop = new();
    private readonly List<System.Threading.Tasks.Task> workers = new();
    public ConcurrentQueue<LoadSample> Samples { get; } = new();
    public double Now => clock.Elapsed.TotalSeconds;

    // send: one request; returns (status, tag, body kept for checks). Exceptions become samples with Error set.
    public LoadRun(int workerCount, Func<int, HttpClient> client, Func<HttpClient, int, long, Task<(int Status, string Tag, string Body)>> send)
    {
        for (var w = 0; w < workerCount; w++)
        {
            var worker = w;
            workers.Add(System.Threading.Tasks.Task.Run(async () =>
            {
                var http = client(worker);
                for (long i = 0; !stop.IsCancellationRequested; i++)
                {
                    var start = Now;
                    try
                    {
                        var (status, tag, body) = await send(http, worker, i);
                        Samples.Enqueue(new LoadSample(start, Now, status, null, tag, body));
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        Samples.Enqueue(new LoadSample(start, Now, 0, e.GetType().Name + ": " + e.Message, null, null));
                        await System.Threading.Tasks.Task.Delay(20);
                    }
                }
            }));
        }
    }

    public void Stop() { stop.Cancel(); System.Threading.Tasks.Task.WaitAll(workers.ToArray(), TimeSpan.FromSeconds(30)); }
    public void Dispose() { Stop(); stop.Dispose(); }
}

// Listens on a fixed loopback port and forwards each connection to the target: "the metadata server is
// unreachable" while it is stopped, "it is back" when it starts again on the same port.
public sealed class TcpForwarder : IDisposable
{
    private readonly int port;
    private readonly string targetHost;
    private readonly int targetPort;
    private TcpListener listener;
    private CancellationTokenSource stop;

    public TcpForwarder(int port, Uri target) { this.port = port; targetHost = target.Host; targetPort = target.Port; }

    public void Start()
    {
        stop = new CancellationTokenSource();
        listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        var token = stop.Token;
        _ = System.Threading.Tasks.Task.Run(async () =>
        {
            while (!token.IsCancellationRequested)
            {
                TcpClient inbound;
                try { inbound = await listener.AcceptTcpClientAsync(token); } catch (Exception) { return; }
                _ = System.Threading.Tasks.Task.Run(async () =>
                {
                    using var client = inbound;
                    using var outbound = new TcpClient();
                    try
                    {
                        await outbound.ConnectAsync(targetHost, targetPort, token);
                        var a = client.GetStream().CopyToAsync(outbound.GetStream(), token);
                        var b = outbound.GetStream().CopyToAsync(client.GetStream(), token);
                        await System.Threading.Tasks.Task.WhenAny(a, b);
                    }
                    catch (Exception) { /* a dropped connection is all a fault test needs */ }
                });
            }
        });
    }

    public void Stop() { stop?.Cancel(); listener?.Stop(); listener = null; }
    public void Dispose() => Stop();
}

// The Faults target: the all-defaults variant, unless an earlier stage of it failed.
void FaultsTarget()
{
    var fakeGoogle = stages.BuildFakeGoogle();
    stages.ForEachVariant("faults", variant => FaultsVariant(paths, variant, fakeGoogle, report), variants: stages.Matrix.Variants.Take(1));
}

static string Invariant(double value, string format = "0.00") => value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

static double Percentile(IEnumerable<double> values, double p)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

static string MintIdToken(LocalSpace space, string email)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    return http.GetStringAsync($"{space.FakeGoogleUrl}/fake/id-token?audience={Uri.EscapeDataString(space.BackendAudience)}&email={Uri.EscapeDataString(email)}")
        .GetAwaiter().GetResult().Trim();
}

static HttpClient BackendClient(LocalSpace space, string token)
{
    var http = new HttpClient { BaseAddress = new Uri(space.BackendUrl), Timeout = TimeSpan.FromSeconds(10) };
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    return http;
}

static int HttpStatus(string url, int timeoutSeconds = 5)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
    try { using var response = http.GetAsync(url).GetAwaiter().GetResult(); return (int)response.StatusCode; }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return 0; }
}

static bool WaitFor(Func<bool> condition, TimeSpan timeout, out double seconds)
{
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed < timeout)
    {
        if (condition()) { seconds = watch.Elapsed.TotalSeconds; return true; }
        System.Threading.Thread.Sleep(100);
    }
    seconds = watch.Elapsed.TotalSeconds;
    return false;
}

static HashSet<string> StoredTitles(LocalSpace space, string prefix) =>
    space.Postgres.Sql($"SELECT title FROM records WHERE title LIKE {ThrowawayPostgres.QuoteLiteral(prefix + "%")}", LocalSpace.DatabaseName)
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

// (1) PostgreSQL stopped during load, then started again; the backend is never restarted.
List<string> FaultDatabaseDown(LocalSpace space)
{
    var token = MintIdToken(space, LocalSpace.FrontendServiceAccount);
    var backendPid = space.Backend.Id;
    var prefix = "fault-db " + Guid.NewGuid().ToString("N")[..6] + " ";
    using var load = new LoadRun(8, _ => BackendClient(space, token), async (http, worker, i) =>
    {
        var title = $"{prefix}{worker}-{i}";
        using var response = await http.PostAsync("/api/records", new StringContent(JsonSerializer.Serialize(new { title }), System.Text.Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, title, response.Content.Headers.ContentType?.MediaType);
    });
    System.Threading.Thread.Sleep(3000);
    var stopped = load.Now;
    space.Postgres.Stop("fast");
    var stopDone = load.Now;
    System.Threading.Thread.Sleep(4000);
    var live = HttpStatus(space.BackendUrl + "/healthz/live");
    var ready = HttpStatus(space.BackendUrl + "/healthz/ready");
    var restarting = load.Now;
    space.Postgres.Start();
    var restarted = load.Now;
    WaitFor(() => load.Samples.Any(s => s.Start > restarted && s.Status == 201), TimeSpan.FromSeconds(15), out _);
    System.Threading.Thread.Sleep(1000);
    load.Stop();

    var samples = load.Samples.ToList();
    var outage = samples.Where(s => s.Start >= stopDone && s.End <= restarting).ToList();
    var unexpected = samples.Where(s => s.Status is not (201 or 503)).ToList();
    var slow503 = outage.Where(s => s.Status == 503 && s.Seconds > 2).ToList();
    var notProblem = samples.Where(s => s.Status == 503 && s.Body != "application/problem+json").ToList();
    var firstOk = samples.Where(s => s.Start >= restarted && s.Status == 201).OrderBy(s => s.End).FirstOrDefault();
    var recovery = firstOk == null ? double.PositiveInfinity : firstOk.End - restarted;
    var acknowledged = samples.Where(s => s.Status == 201).Select(s => s.Tag).ToList();
    var stored = StoredTitles(space, prefix);
    var lost = acknowledged.Where(t => !stored.Contains(t)).ToList();

    var problems = new List<string>();
    if (outage.Count == 0) problems.Add("no request ran during the outage");
    if (outage.Any(s => s.Status != 503)) problems.Add($"{outage.Count(s => s.Status != 503)} requests during the outage did not get 503");
    if (slow503.Count > 0) problems.Add($"{slow503.Count} outage answers took over 2 s (max {Invariant(slow503.Max(s => s.Seconds))} s)");
    if (unexpected.Count > 0) problems.Add($"{unexpected.Count} answers neither 201 nor 503: {string.Join("; ", unexpected.Take(3).Select(s => s.Error ?? s.Status.ToString()))}");
    if (notProblem.Count > 0) problems.Add($"{notProblem.Count} 503 answers were not problem details");
    if (live != 200) problems.Add($"/healthz/live answered {live} during the outage, not 200");
    if (ready != 503) problems.Add($"/healthz/ready answered {ready} during the outage, not 503");
    if (recovery > 10) problems.Add($"no 201 within 10 s of PostgreSQL's restart ({Invariant(recovery)} s)");
    if (space.Backend.HasExited || space.Backend.Id != backendPid) problems.Add("the backend process did not survive the outage");
    if (lost.Count > 0) problems.Add($"{lost.Count} acknowledged writes are not in the table, e.g. '{lost[0]}'");
    if (problems.Count > 0) throw new LoggedFailureException("PostgreSQL down: " + string.Join("; ", problems), space.Backend.LogFile);

    return new List<string>
    {
        $"| PostgreSQL stopped during load (8 writers, backend direct) | {outage.Count} requests during the {Invariant(restarting - stopDone, "0.0")} s outage: all 503 problem details, slowest {Invariant(outage.Max(s => s.Seconds))} s (limit 2 s); /healthz/live {live}, /healthz/ready {ready}; first 201 {Invariant(recovery)} s after PostgreSQL was back (limit 10 s), same backend process; {acknowledged.Count} writes acknowledged, {acknowledged.Count - lost.Count} in the table |",
    };
}

// (2) The backend killed (SIGKILL) and restarted while the frontend is under load.
List<string> FaultBackendKilled(LocalSpace space)
{
    var prefix = "fault-kill " + Guid.NewGuid().ToString("N")[..6] + " ";
    var forms = new ConcurrentDictionary<int, List<KeyValuePair<string, string>>>();
    using var load = new LoadRun(8, _ => new HttpClient(new LoopbackCookieHandler())
        { BaseAddress = new Uri(space.FrontendUrl), Timeout = TimeSpan.FromSeconds(20) },
        async (http, worker, i) =>
        {
            if (worker % 2 == 0)
            {
                using var page = await http.GetAsync("/");
                return ((int)page.StatusCode, "GET", await page.Content.ReadAsStringAsync());
            }
            if (!forms.TryGetValue(worker, out var hidden))
            {
                var html = await http.GetStringAsync("/");
                hidden = Regex.Matches(html, "<input[^>]*type=\"hidden\"[^>]*>").Select(m => KeyValuePair.Create(
                    WebUtility.HtmlDecode(Regex.Match(m.Value, "name=\"([^\"]*)\"").Groups[1].Value),
                    WebUtility.HtmlDecode(Regex.Match(m.Value, "value=\"([^\"]*)\"").Groups[1].Value))).ToList();
                forms[worker] = hidden;
            }
            var title = $"{prefix}{worker}-{i}";
            using var posted = await http.PostAsync("/", new FormUrlEncodedContent(hidden.Append(KeyValuePair.Create("Input.Title", title))));
            return ((int)posted.StatusCode, title, await posted.Content.ReadAsStringAsync());
        });
    System.Threading.Thread.Sleep(3000);
    var killed = load.Now;
    using (var kill = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { "-c", "kill -s KILL \"$1\"", "kill", space.Backend.Id.ToString() }, UseShellExecute = false })!) kill.WaitForExit();
    System.Threading.Thread.Sleep(3000);
    var restarting = load.Now;
    space.RestartBackend();
    var backendReady = load.Now;
    WaitFor(() => load.Samples.Any(s => s.Start > backendReady && s.Status == 200), TimeSpan.FromSeconds(30), out _);
    System.Threading.Thread.Sleep(1000);
    load.Stop();

    var samples = load.Samples.ToList();
    var outage = samples.Where(s => s.Start >= killed + 0.2 && s.End <= restarting).ToList();
    var firstOk = samples.Where(s => s.Start >= backendReady && s.Status == 200).OrderBy(s => s.End).FirstOrDefault();
    var recovery = firstOk == null ? double.PositiveInfinity : firstOk.End - backendReady;
    var unavailable = samples.Where(s => s.Status == 503).ToList();
    var unexpected = samples.Where(s => s.Status is not (200 or 302 or 503)).ToList();
    var leaky = unavailable.Where(s => !s.Body.Contains("temporarily unavailable") || s.Body.Contains("Exception") || Regex.IsMatch(s.Body, @"\bat [\w.]+\(")).ToList();
    var duplicates = space.Postgres.Sql($"SELECT count(*) FROM (SELECT title FROM records WHERE title LIKE {ThrowawayPostgres.QuoteLiteral(prefix + "%")} GROUP BY title HAVING count(*) > 1) d", LocalSpace.DatabaseName);
    var acknowledged = samples.Where(s => s.Status == 302).Select(s => s.Tag).ToList();
    var stored = StoredTitles(space, prefix);
    var lost = acknowledged.Where(t => !stored.Contains(t)).ToList();

    var problems = new List<string>();
    if (outage.Count == 0) problems.Add("no request ran while the backend was down");
    if (outage.Any(s => s.Status != 503)) problems.Add($"{outage.Count(s => s.Status != 503)} requests while the backend was down did not get 503: {string.Join("; ", outage.Where(s => s.Status != 503).Take(3).Select(s => s.Error ?? s.Status.ToString()))}");
    if (unexpected.Count > 0) problems.Add($"{unexpected.Count} answers not 200/302/503: {string.Join("; ", unexpected.Take(3).Select(s => s.Error ?? s.Status.ToString()))}");
    if (leaky.Count > 0) problems.Add($"{leaky.Count} 503 pages lack 'temporarily unavailable' or show exception text");
    if (duplicates != "0") problems.Add($"{duplicates} titles were stored twice");
    if (lost.Count > 0) problems.Add($"{lost.Count} acknowledged (302) writes are not in the table");
    if (recovery > 15) problems.Add($"the frontend served no 200 within 15 s of the backend being ready ({Invariant(recovery)} s)");
    if (problems.Count > 0) throw new LoggedFailureException("backend killed: " + string.Join("; ", problems), space.Frontend.LogFile);

    return new List<string>
    {
        $"| Backend killed (SIGKILL) and restarted during load (4 page readers, 4 form writers, through the frontend) | {outage.Count} requests while it was down: all 503 \"temporarily unavailable\" pages, no exception text; {unavailable.Count} 503 pages in all; first 200 {Invariant(recovery)} s after the new backend was ready; {acknowledged.Count} form posts acknowledged, all stored, no title stored twice |",
    };
}

// (3) The frontend starts while the metadata server is unreachable; it must start, say not ready, and recover.
// Returns the frontend process it started (scenario 4 stops it).
(List<string> Rows, ServiceProcess Frontend) FaultMetadataUnreachable(LocalSpace space, TcpForwarder metadata, int metadataPort)
{
    space.Frontend.Stop();
    var environment = space.FrontendEnvironment();
    environment["GCE_METADATA_HOST"] = $"127.0.0.1:{metadataPort}";
    var frontend = new ServiceProcess("frontend", "dotnet", new[] { space.Settings.FrontendDll }, environment, System.IO.Path.GetDirectoryName(space.Settings.FrontendDll)!, space.LogPath("frontend-no-metadata"));
    var url = space.FrontendUrl;
    if (!WaitFor(() => HttpStatus(url + "/healthz/live") == 200, TimeSpan.FromSeconds(60), out var liveAfter))
        throw new LoggedFailureException("the frontend did not start (no /healthz/live 200 in 60 s) while the metadata server was unreachable", frontend.LogFile);
    var readyWhileDown = Enumerable.Range(0, 5).Select(_ => { System.Threading.Thread.Sleep(400); return HttpStatus(url + "/healthz/ready"); }).ToList();
    // The backend client's whole budget (retries included) is 10 s.
    var pageWhileDown = HttpStatus(url + "/", 15);
    var back = Stopwatch.StartNew();
    metadata.Start();
    var recovered = WaitFor(() => HttpStatus(url + "/healthz/ready") == 200, TimeSpan.FromSeconds(30), out var readyAfter);
    var pageAfter = HttpStatus(url + "/");

    var problems = new List<string>();
    if (readyWhileDown.Any(s => s != 503)) problems.Add($"/healthz/ready answered {string.Join(",", readyWhileDown)} while the metadata server was unreachable, not 503 every time");
    if (pageWhileDown != 503) problems.Add($"the page answered {pageWhileDown} while no ID token could be had, not 503");
    if (!recovered) problems.Add("/healthz/ready did not turn 200 within 30 s of the metadata server's return");
    if (pageAfter != 200) problems.Add($"the page answered {pageAfter} after recovery, not 200");
    if (problems.Count > 0)
    {
        frontend.Dispose();
        throw new LoggedFailureException("metadata server unreachable at start: " + string.Join("; ", problems), frontend.LogFile);
    }
    return (new List<string>
    {
        $"| Metadata server unreachable when the frontend starts | live after {Invariant(liveAfter, "0.0")} s; /healthz/ready {string.Join(",", readyWhileDown.Distinct())} and page {pageWhileDown} while unreachable; ready {Invariant(readyAfter)} s after the server returned, page {pageAfter}, no restart |",
    }, frontend);
}

// (4) SIGTERM under load: every request sent before the signal completes; the process exits 0 within 10 s.
string SigtermUnderLoad(ServiceProcess service, string url, Func<HttpClient> client, string path, string label)
{
    using var load = new LoadRun(16, _ => client(), async (http, worker, i) =>
    {
        using var response = await http.GetAsync(path);
        await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, null, null);
    });
    System.Threading.Thread.Sleep(2000);
    var signalled = load.Now;
    var stop = service.Stop(TimeSpan.FromSeconds(15));
    load.Stop();
    // Sent before the signal (with 50 ms for the request to reach the server): these were in flight or done.
    var before = load.Samples.Where(s => s.Start < signalled - 0.05).ToList();
    var inFlight = before.Where(s => s.End > signalled).ToList();
    var broken = before.Where(s => s.Status != 200).ToList();
    var problems = new List<string>();
    if (stop.Killed || stop.ExitCode != 0 || stop.Seconds > 10) problems.Add($"SIGTERM did not end it cleanly within 10 s: {stop}");
    if (broken.Count > 0) problems.Add($"{broken.Count} of {before.Count} requests sent before SIGTERM failed: {string.Join("; ", broken.Take(3).Select(s => s.Error ?? s.Status.ToString()))}");
    if (problems.Count > 0) throw new LoggedFailureException($"SIGTERM of the {label} under load: " + string.Join("; ", problems), service.LogFile);
    return $"| SIGTERM of the {label} under load (16 clients) | {before.Count} requests sent before the signal all answered 200 ({inFlight.Count} were still in flight at the signal); {stop} |";
}

// wrk through the frontend: 64 connections for 30 s against the page (which reads the records through the backend).
string WrkLoad(LocalSpace space, string logFile, out string summary)
{
    if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => System.IO.File.Exists(System.IO.Path.Combine(d, "wrk"))))
        throw new LoggedFailureException("wrk is not installed: apt-get install wrk (.ci/run installs it)");
    var run = stages.Run("wrk", new[] { "-t2", "-c64", "-d30s", "--timeout", "10s", "--latency", space.FrontendUrl + "/" }, logFile, timeout: TimeSpan.FromMinutes(2));
    if (ValidationStages.ExitCodeProblem(run) is string problem) throw new LoggedFailureException($"wrk: {problem}", logFile);
    var output = run.Output;
    var requestsPerSecond = Regex.Match(output, @"Requests/sec:\s*([\d.]+)").Groups[1].Value;
    var p99 = Regex.Match(output, @"^\s*99%\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;
    var p50 = Regex.Match(output, @"^\s*50%\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;
    var total = Regex.Match(output, @"(\d+) requests in").Groups[1].Value;
    if (requestsPerSecond == "" || p99 == "" || total == "") throw new LoggedFailureException("wrk printed no Requests/sec, 99% latency or request count", logFile);
    if (Wrk.Parse(output)?.Errors is string errors) throw new LoggedFailureException($"wrk: {errors} of {total}", logFile);
    summary = $"{requestsPerSecond} req/s, p99 {p99}";
    return $"| wrk -c64 -d30s through the frontend (GET /, page read through the backend) | {total} requests, {requestsPerSecond} requests/s, latency p50 {p50}, p99 {p99}; 0 socket errors, 0 non-2xx (wrk timeout 10 s) |";
}

// The database password appears in no log line, no process command line and no deploy dry-run output.
string SecretScan(BuildPaths paths, Variant variant, LocalSpace space, List<string> commandLines)
{
    var password = Regex.Match(space.ConnectionString, "Password=([^;]+)").Groups[1].Value;
    if (password.Length < 16) throw new LoggedFailureException("the space's connection string has no password to look for");
    var dryRunLog = paths.Log(variant.Name, "faults-deploy-dry-run");
    var dryRun = stages.Run("bash", new[] { "deploy/up.sh", "--dry-run" }, dryRunLog, paths.VariantDirectory(variant), timeout: TimeSpan.FromMinutes(2));
    var places = new List<string>();
    var logs = System.IO.Directory.GetFiles(paths.Logs, "*", SearchOption.AllDirectories);
    places.AddRange(logs.Where(f => System.IO.File.ReadAllText(f).Contains(password)).Select(f => System.IO.Path.GetFileName(f)));
    if (commandLines.Any(c => c.Contains(password))) places.Add("a process command line");
    if (ValidationStages.ExitCodeProblem(dryRun) is string dryRunProblem) throw new LoggedFailureException($"deploy/up.sh --dry-run failed ({dryRunProblem}), so its output could not be scanned", dryRunLog);
    if (dryRun.Output.Contains(password)) places.Add("deploy/up.sh --dry-run output");
    var dryRunPasswords = Regex.Matches(dryRun.Output, @"Password=([^;\s""']+)").Select(m => m.Groups[1].Value).Where(v => !v.StartsWith("<") && !v.StartsWith("$")).ToList();
    if (dryRunPasswords.Count > 0) places.Add($"deploy/up.sh --dry-run prints a literal Password= value");
    if (places.Count > 0) throw new LoggedFailureException("the database password appears in: " + string.Join(", ", places));
    return $"| Secrets | the database password is in none of {logs.Length} log files, {commandLines.Count} process command lines (sampled under load) or the deploy/up.sh --dry-run output |";
}

static List<string> ProcessCommandLines() =>
    System.IO.Directory.GetDirectories("/proc").Select(d => System.IO.Path.Combine(d, "cmdline"))
        .Select(f => { try { return System.IO.File.ReadAllText(f).Replace('\0', ' '); } catch (Exception) { return null; } })
        .Where(c => !string.IsNullOrEmpty(c)).ToList();

bool FaultsVariant(BuildPaths paths, Variant variant, string fakeGoogleDll, ValidationReport report)
{
    var watch = Stopwatch.StartNew();
    var rows = new List<string>();
    string problem = null, logFile = paths.Log(variant.Name, "faults"), summary = "";
    EnsureDirectoryExists(paths.Logs);
    System.IO.File.WriteAllText(logFile, $"# fault checks of {variant.Name}\n");
    void Note(string line) { System.IO.File.AppendAllText(logFile, line + "\n"); Information(line); }
    try
    {
        using var space = new LocalSpace(stages.SpaceSettingsFor(variant, fakeGoogleDll, "faults"), line => Information("{0}", line));
        space.Start();
        var commandLines = ProcessCommandLines();

        rows.AddRange(FaultDatabaseDown(space)); Note(rows[^1]);
        rows.AddRange(FaultBackendKilled(space)); Note(rows[^1]);
        rows.Add(WrkLoad(space, paths.Log(variant.Name, "faults-wrk"), out var wrkSummary)); Note(rows[^1]);
        commandLines.AddRange(ProcessCommandLines());

        var metadataPort = FreePorts.Next();
        using var metadata = new TcpForwarder(metadataPort, new Uri(space.FakeGoogleUrl));
        var (metadataRows, frontend) = FaultMetadataUnreachable(space, metadata, metadataPort);
        rows.AddRange(metadataRows); Note(rows[^1]);
        using (frontend)
        {
            rows.Add(SigtermUnderLoad(frontend, space.FrontendUrl, () => new HttpClient { BaseAddress = new Uri(space.FrontendUrl), Timeout = TimeSpan.FromSeconds(20) }, "/", "frontend")); Note(rows[^1]);
        }
        var token = MintIdToken(space, LocalSpace.FrontendServiceAccount);
        rows.Add(SigtermUnderLoad(space.Backend, space.BackendUrl, () => BackendClient(space, token), "/api/records?limit=20", "backend")); Note(rows[^1]);
        rows.Add(SecretScan(paths, variant, space, commandLines)); Note(rows[^1]);
        summary = $"{rows.Count} checks passed; wrk {wrkSummary}";
    }
    catch (LoggedFailureException failure) { problem = failure.Message; if (failure.LogFile != "") logFile = failure.LogFile; }
    catch (Exception failure) when (failure is HttpRequestException or TaskCanceledException or IOException or JsonException)
    {
        problem = $"{failure.GetType().Name}: {failure.Message}";
    }

    var markdown = new List<string>
    {
        "# Faults and load",
        "",
        $"Variant {variant.Name} ({string.Join(" ", variant.CliArguments)}), real processes: PostgreSQL, fake metadata server, backend, frontend. {DateTimeOffset.UtcNow:u}, {Invariant(watch.Elapsed.TotalSeconds, "0")} s, on {Environment.ProcessorCount} cores.",
        "",
        "| fault | result |",
        "| --- | --- |",
    };
    markdown.AddRange(rows);
    markdown.Add("");
    markdown.Add(problem == null ? "Result: every check passed." : $"Result: FAILED — {problem}");
    System.IO.File.WriteAllText(System.IO.Path.Combine(paths.Validation, "faults.md"), string.Join("\n", markdown) + "\n");
    if (problem != null) Note("FAILED: " + problem);
    var run = new StageRun { ExitCode = problem == null ? 0 : 1, Seconds = watch.Elapsed.TotalSeconds, LogFile = logFile };
    return stages.Record(variant.Name, "faults", run, problem, problem ?? summary);
}
