using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using CloudRunSpace.SpaceChecks.Space;
using CloudRunSpace.Validation.Load;
using CloudRunSpace_1.Tests.Fakes;
using static CloudRunSpace.SpaceChecks.Faults.FaultsFixture;

namespace CloudRunSpace.SpaceChecks.Faults;

/// <summary>
/// The space under load while its parts fail, the way they fail on Cloud Run: PostgreSQL stopped, the backend killed,
/// the metadata server unreachable when a frontend starts, SIGTERM; a wrk run; no database password anywhere. Each
/// check leaves the space whole again. The figures go to the faults report (FAULTS_REPORT). Run in declaration order,
/// so the secret scan reads the logs of every fault before it.
/// </summary>
[Trait("Category", "Faults")]
[TestCaseOrderer(typeof(DeclarationOrderer))]
public sealed partial class FaultsTests(FaultsFixture space) : IClassFixture<FaultsFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostgreSQL_stopped_under_load_gives_fast_503_problem_details_and_the_same_backend_recovers() => await Recorded("PostgreSQL stopped", async () =>
    {
        var token = await space.MintIdTokenAsync(SpaceFixture.FrontendServiceAccount, space.BackendAudience, Cancellation);
        var backendPid = space.ServicePid(SpaceFixture.Backend);
        var backend = space.Url(SpaceFixture.Backend);
        var prefix = "fault-db " + Guid.NewGuid().ToString("N")[..6] + " ";
        using var http = BackendClient(backend, token);
        await using var load = new LoadRun(8, async (worker, i, stop) =>
        {
            var title = $"{prefix}{worker}-{i}";
            using var response = await http.PostAsJsonAsync("/api/records", new { title }, stop);
            return ((int)response.StatusCode, title, response.Content.Headers.ContentType?.MediaType);
        });
        await Task.Delay(3000, Cancellation);
        double stopDone, restarting;
        int live, ready;
        try
        {
            await StopPostgresAsync();
            stopDone = load.Now;
            await Task.Delay(4000, Cancellation);
            live = await StatusAsync(new Uri(backend, "/healthz/live"));
            ready = await StatusAsync(new Uri(backend, "/healthz/ready"));
        }
        finally
        {
            restarting = load.Now;
            await space.StartAgainAsync(SpaceFixture.Postgres, Cancellation);
        }

        var restarted = await RunUntilRecoveredAsync(load, 201, TimeSpan.FromSeconds(15));

        // A request still open when the run stopped started after recovery: it says nothing either way.
        var samples = load.Samples.Where(s => s.Status != LoadRun.Cancelled).ToList();
        var outage = samples.Where(s => s.Start >= stopDone && s.End <= restarting).ToList();
        var unexpected = samples.Where(s => s.Status is not (201 or 503)).ToList();
        var slow = outage.Where(s => s.Status == 503 && s.Seconds > 2).ToList();
        var notProblem = samples.Where(s => s.Status == 503 && s.Body != "application/problem+json").ToList();
        var firstOk = samples.Where(s => s.Start >= restarted && s.Status == 201).OrderBy(s => s.End).FirstOrDefault();
        var recovery = firstOk is null ? double.PositiveInfinity : firstOk.End - restarted;
        var acknowledged = samples.Where(s => s.Status == 201).Select(s => s.Tag!).ToList();
        var (_, lost) = await StoredAndLostAsync(acknowledged, prefix);

        var problems = OutageProblems(outage, "during the outage");
        if (slow.Count > 0) problems.Add($"{slow.Count} outage answers took over 2 s (max {Invariant(slow.Max(s => s.Seconds))} s)");
        if (unexpected.Count > 0) problems.Add($"{unexpected.Count} answers neither 201 nor 503: {Examples(unexpected)}");
        if (notProblem.Count > 0) problems.Add($"{notProblem.Count} 503 answers were not problem details");
        if (live != 200) problems.Add($"/healthz/live answered {live} during the outage, not 200");
        if (ready != 503) problems.Add($"/healthz/ready answered {ready} during the outage, not 503");
        if (recovery > 10) problems.Add($"no 201 within 10 s of PostgreSQL's restart ({Invariant(recovery)} s)");
        if (space.ServicePid(SpaceFixture.Backend) != backendPid) problems.Add("the backend process did not survive the outage");
        if (lost.Count > 0) problems.Add($"{lost.Count} acknowledged writes are not in the table, e.g. '{lost[0]}'");
        await space.ExpectAsync(problems.Count == 0, "PostgreSQL down: " + string.Join("; ", problems), SpaceFixture.Backend, SpaceFixture.Postgres);

        space.Row("PostgreSQL stopped during load (8 writers, backend direct)",
            $"{outage.Count} requests during the {Invariant(restarting - stopDone, "0.0")} s outage: all 503 problem details, slowest {Invariant(outage.Max(s => s.Seconds))} s (limit 2 s); /healthz/live {live}, /healthz/ready {ready}; first 201 {Invariant(recovery)} s after PostgreSQL was back (limit 10 s), same backend process; {acknowledged.Count} writes acknowledged, all in the table");
    });

    [Fact]
    public async Task The_backend_killed_under_load_gives_503_pages_and_loses_or_doubles_no_acknowledged_form_post() => await Recorded("backend killed", async () =>
    {
        var prefix = "fault-kill " + Guid.NewGuid().ToString("N")[..6] + " ";
        var frontEnd = space.Url(SpaceFixture.FrontendFrontEnd);
        var browsers = Enumerable.Range(0, 8).Select(_ => new CloudRunSpace_1.Tests.EndToEnd.Browser(frontEnd)).ToList();
        var forms = new Dictionary<int, Dictionary<string, string>>();
        LoadRun load;
        await using (load = new LoadRun(8, async (worker, i, _) =>
        {
            var browser = browsers[worker];
            if (worker % 2 == 0)
            {
                var page = await browser.GetAsync("/");
                return ((int)page.Status, "GET", page.Body);
            }

            if (!forms.TryGetValue(worker, out var hidden))
            {
                var page = await browser.GetAsync("/");
                if (page.Status != HttpStatusCode.OK)
                {
                    return ((int)page.Status, "GET", page.Body);
                }

                lock (forms)
                {
                    forms[worker] = hidden = HtmlForm.HiddenInputs(page.Body);
                }
            }

            var title = $"{prefix}{worker}-{i}";
            var posted = await browser.PostAsync("/", new Dictionary<string, string>(hidden) { ["Input.Title"] = title });
            return ((int)posted.Status, title, posted.Body);
        }))
        {
            await Task.Delay(3000, Cancellation);
            var killed = load.Now;
            double restarting;
            try
            {
                SpaceFixture.Signal(space.ServicePid(SpaceFixture.Backend), "KILL");
                await space.WaitStoppedAsync(SpaceFixture.Backend, TimeSpan.FromSeconds(30), Cancellation);
                // Longer than the frontend's whole budget for a backend call (10 s, retries included), so requests
                // start and end while it is down.
                await Task.Delay(12_000, Cancellation);
            }
            finally
            {
                restarting = load.Now;
                await space.StartAgainAsync(SpaceFixture.Backend, Cancellation);
            }

            var backendReady = await RunUntilRecoveredAsync(load, 200, TimeSpan.FromSeconds(30));
            browsers.ForEach(b => b.Dispose());

            // A request still open when the run stopped started after recovery: it says nothing either way.
        var samples = load.Samples.Where(s => s.Status != LoadRun.Cancelled).ToList();
            var outage = samples.Where(s => s.Start >= killed + 0.2 && s.End <= restarting).ToList();
            var firstOk = samples.Where(s => s.Start >= backendReady && s.Status == 200).OrderBy(s => s.End).FirstOrDefault();
            var recovery = firstOk is null ? double.PositiveInfinity : firstOk.End - backendReady;
            var unavailable = samples.Where(s => s.Status == 503).ToList();
            var unexpected = samples.Where(s => s.Status is not (200 or 302 or 303 or 503)).ToList();
            var leaky = unavailable.Where(s => s.Body is not { } body || !body.Contains("temporarily unavailable", StringComparison.Ordinal)
                || body.Contains("Exception", StringComparison.Ordinal) || StackFrame().IsMatch(body)).ToList();
            var acknowledged = samples.Where(s => s.Status is 302 or 303).Select(s => s.Tag!).ToList();
            var (stored, lost) = await StoredAndLostAsync(acknowledged, prefix);
            var doubled = stored.Where(t => t.Value > 1).Select(t => t.Key).ToList();

            var problems = OutageProblems(outage, "while the backend was down");
            if (unexpected.Count > 0) problems.Add($"{unexpected.Count} answers not 200/302/303/503: {Examples(unexpected)}");
            if (leaky.Count > 0) problems.Add($"{leaky.Count} 503 pages lack 'temporarily unavailable' or show exception text");
            if (doubled.Count > 0) problems.Add($"{doubled.Count} titles were stored twice, e.g. '{doubled[0]}'");
            if (lost.Count > 0) problems.Add($"{lost.Count} acknowledged (redirected) form posts are not in the table, e.g. '{lost[0]}'");
            if (recovery > 15) problems.Add($"the frontend served no 200 within 15 s of the backend being healthy again ({Invariant(recovery)} s)");
            await space.ExpectAsync(problems.Count == 0, "backend killed: " + string.Join("; ", problems),
                [SpaceFixture.Backend, SpaceFixture.BackendFrontEnd, .. SpaceFixture.FrontendInstances]);

            space.Row("Backend killed (SIGKILL) and started again during load (4 page readers, 4 form writers, through the public front end)",
                $"{outage.Count} requests while it was down: all 503 \"temporarily unavailable\" pages, no exception text; {unavailable.Count} 503 pages in all; first 200 {Invariant(recovery)} s after the new backend was healthy (limit 15 s); {acknowledged.Count} form posts acknowledged, all stored, none twice");
        }
    });

    // The metadata server stops answering (SIGSTOP) and comes back as the same process (SIGCONT): a restart of the
    // local Google would hand out tokens signed with new keys, which the running backend does not accept (it caches
    // the key set), unlike Google, whose keys outlive any one server.
    [Fact]
    public async Task A_frontend_started_while_the_metadata_server_is_unreachable_says_not_ready_and_recovers_when_it_returns() => await Recorded("metadata server unreachable", async () =>
    {
        const string instance = "frontend-2";
        var url = space.Url(instance);
        var google = space.ServicePid(SpaceFixture.Google);
        SpaceFixture.Signal(google, "STOP");
        var googleBack = false;
        try
        {
            await MetadataUnreachableAsync(instance, url, () =>
            {
                SpaceFixture.Signal(google, "CONT");
                googleBack = true;
            });
        }
        finally
        {
            if (!googleBack)
            {
                SpaceFixture.Signal(google, "CONT");
            }
        }
    });

    private async Task MetadataUnreachableAsync(string instance, Uri url, Action googleBack)
    {
        await space.CommandAsync(instance, "resource-stop", Cancellation);
        await space.WaitStoppedAsync(instance, TimeSpan.FromMinutes(1), Cancellation);
        var watch = Stopwatch.StartNew();
        await space.StartAgainAsync(instance, Cancellation, healthy: false);
        var live = await WaitForStatusAsync(new Uri(url, "/healthz/live"), 200, TimeSpan.FromSeconds(60));
        var liveAfter = watch.Elapsed.TotalSeconds;
        await space.ExpectAsync(live, $"{instance} did not start (no /healthz/live 200 in 60 s) while the metadata server was unreachable", instance);
        var readyWhileDown = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(400, Cancellation);
            readyWhileDown.Add(await StatusAsync(new Uri(url, "/healthz/ready")));
        }

        // The backend client's whole budget (retries included) is 10 s.
        var pageWhileDown = await StatusAsync(new Uri(url, "/"), timeoutSeconds: 15);
        var back = Stopwatch.StartNew();
        googleBack();
        var recovered = await WaitForStatusAsync(new Uri(url, "/healthz/ready"), 200, TimeSpan.FromSeconds(30));
        var readyAfter = back.Elapsed.TotalSeconds;
        var pageAfter = await StatusAsync(new Uri(url, "/"));

        var problems = new List<string>();
        if (readyWhileDown.Any(s => s != 503)) problems.Add($"/healthz/ready answered {string.Join(",", readyWhileDown)} while the metadata server was unreachable, not 503 every time");
        if (pageWhileDown != 503) problems.Add($"the page answered {pageWhileDown} while no ID token could be had, not 503");
        if (!recovered) problems.Add("/healthz/ready did not turn 200 within 30 s of the metadata server's return");
        if (pageAfter != 200) problems.Add($"the page answered {pageAfter} after recovery, not 200");
        await space.ExpectAsync(problems.Count == 0, "metadata server unreachable at start: " + string.Join("; ", problems), instance, SpaceFixture.Google);
        await space.ResourceNotifications.WaitForResourceHealthyAsync(instance, Cancellation);

        space.Row("Metadata server (the local Google) not answering (SIGSTOP) when a frontend instance starts, then back (SIGCONT)",
            $"live after {Invariant(liveAfter, "0.0")} s; /healthz/ready {string.Join(",", readyWhileDown.Distinct())} and page {pageWhileDown} while unreachable; ready {Invariant(readyAfter)} s after the server answered again, page {pageAfter}, no restart of the instance");
    }

    [Theory]
    [InlineData("frontend-2")]
    [InlineData(SpaceFixture.Backend)]
    public async Task SIGTERM_under_load_completes_every_request_sent_before_it_and_exits_0_within_10_seconds(string resource) => await Recorded($"SIGTERM of {resource}", async () =>
    {
        var isBackend = resource == SpaceFixture.Backend;
        var token = isBackend ? await space.MintIdTokenAsync(SpaceFixture.FrontendServiceAccount, space.BackendAudience, Cancellation) : null;
        using var http = BackendClient(space.Url(resource), token);
        var path = isBackend ? "/api/records?limit=20" : "/";
        var pid = space.ServicePid(resource);
        LoadRun load;
        await using (load = new LoadRun(16, async (_, _, stop) =>
        {
            using var response = await http.GetAsync(path, stop);
            await response.Content.ReadAsStringAsync(stop);
            return ((int)response.StatusCode, null, null);
        }))
        {
            await Task.Delay(2000, Cancellation);
            var signalled = load.Now;
            CustomResourceSnapshot stopped;
            TimeSpan? exited;
            try
            {
                SpaceFixture.Signal(pid, "TERM");
                exited = await ProcessTree.WaitForExitAsync(pid, TimeSpan.FromSeconds(30));
                stopped = await space.WaitStoppedAsync(resource, TimeSpan.FromSeconds(30), Cancellation);
                await load.StopAsync();
            }
            finally
            {
                await space.StartAgainAsync(resource, Cancellation);
            }

            var seconds = exited?.TotalSeconds ?? double.PositiveInfinity;

            // Sent before the signal (with 50 ms for the request to reach the server): these were in flight or done.
            var before = load.Samples.Where(s => s.Start < signalled - 0.05).ToList();
            var inFlight = before.Where(s => s.End > signalled).ToList();
            var broken = before.Where(s => s.Status != 200).ToList();
            var problems = new List<string>();
            if (stopped.ExitCode != 0 || seconds > 10) problems.Add($"SIGTERM did not end it cleanly within 10 s: {stopped.State?.Text}, exit code {stopped.ExitCode?.ToString() ?? "none"} after {Invariant(seconds, "0.0")} s");
            if (broken.Count > 0) problems.Add($"{broken.Count} of {before.Count} requests sent before SIGTERM failed: {Examples(broken)}");
            await space.ExpectAsync(problems.Count == 0, $"SIGTERM of {resource} under load: " + string.Join("; ", problems), resource);

            space.Row($"SIGTERM of {resource} under load (16 clients, direct)",
                $"{before.Count} requests sent before the signal all answered 200 ({inFlight.Count} were still in flight at the signal); exit code 0 after {Invariant(seconds, "0.0")} s");
        }
    });

    [Fact]
    public async Task Wrk_at_64_connections_through_the_public_front_end_gets_no_socket_error_and_no_error_status() => await Recorded("wrk", async () =>
    {
        var log = Path.Combine(Path.GetDirectoryName(CheckSettings.FaultsReport)!, "logs", $"{space.VariantName}-faults-wrk.log");
        var duration = CheckSettings.WrkDuration;
        var sampling = Task.Run(async () =>
        {
            await Task.Delay(duration / 2);
            space.SampleCommandLines();
        });

        var result = await Wrk.RunAsync(space.Url(SpaceFixture.FrontendFrontEnd), 64, duration, log, cancellationToken: Cancellation);
        await sampling;

        await space.ExpectAsync(result.Errors is null, $"wrk -c64 through the public front end: {result.Errors} (see {log})", [SpaceFixture.FrontendFrontEnd, .. SpaceFixture.FrontendInstances, SpaceFixture.Backend]);
        space.Row($"wrk -c64 -d{duration.TotalSeconds:0}s through the public front end (GET /: the page reads the records through the backend)",
            $"{result.Requests} requests, {Invariant(result.RequestsPerSecond, "0.0")} requests/s, latency p50 {Invariant(result.P50Milliseconds)} ms, p99 {Invariant(result.P99Milliseconds)} ms; 0 socket errors, 0 non-2xx/3xx (wrk timeout 10 s)");
    });

    [Fact]
    public async Task The_database_password_is_in_no_resource_log_and_no_process_command_line() => await Recorded("secrets", async () =>
    {
        var password = SpaceDatabase.Password(space);
        await space.ExpectAsync(password is { Length: >= 16 },
            $"the backend's connection string holds no password to look for ({space.VariantName} must be a --db-auth password variant)", SpaceFixture.Backend);
        space.SampleCommandLines();
        var places = new List<string>();
        var lines = 0;
        foreach (var resource in space.ResourceNames())
        {
            var log = await space.LogLinesAsync(resource);
            lines += log.Count;
            if (log.Any(l => l.Text.Contains(password!, StringComparison.Ordinal)))
            {
                places.Add($"the {resource} log");
            }
        }

        var appHostLines = space.AppHostLog.Lines;
        if (appHostLines.Any(l => l.Contains(password!, StringComparison.Ordinal)))
        {
            places.Add("the AppHost's own log");
        }

        List<string> commandLines;
        lock (space.CommandLines)
        {
            commandLines = [.. space.CommandLines];
        }

        if (commandLines.Any(c => c.Contains(password!, StringComparison.Ordinal)))
        {
            places.Add("a process command line");
        }

        await space.ExpectAsync(places.Count == 0, "the database password appears in: " + string.Join(", ", places));
        space.Row("Secrets",
            $"the database password is in none of {lines} resource log lines ({space.ResourceNames().Count} resources, every fault above included), {appHostLines.Count} AppHost log lines or {commandLines.Count} process command lines (sampled under wrk load and at the end)");
    });

    private async Task Recorded(string check, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            space.Failed(check, e.Message.Split('\n')[0]);
            throw;
        }
    }

    // A fast stop (SIGINT to the postmaster, as `pg_ctl -m fast stop`): open sessions are ended, as when Cloud SQL
    // restarts. A SIGTERM would wait for the backend's pooled connections to close.
    // The requests that started and ended inside an outage: there must be some, and each must have got 503.
    private static List<string> OutageProblems(List<LoadSample> outage, string during)
    {
        var problems = new List<string>();
        if (outage.Count == 0)
        {
            problems.Add($"no request ran {during}");
        }

        var not503 = outage.Where(s => s.Status != 503).ToList();
        if (not503.Count > 0)
        {
            problems.Add($"{not503.Count} requests {during} did not get 503: {Examples(not503)}");
        }

        return problems;
    }

    // What the table holds of the titles written under prefix (with how often each is stored), and the acknowledged
    // titles it does not hold.
    private async Task<(Dictionary<string, long> Stored, List<string> Lost)> StoredAndLostAsync(List<string> acknowledged, string prefix)
    {
        var stored = await SpaceDatabase.TitlesAsync(space, prefix, Cancellation);
        return (stored, acknowledged.Where(t => !stored.ContainsKey(t)).ToList());
    }

    // The load goes on until the first answer with the status that means the restarted part is back, and a second
    // more; then it stops. Returns when the restart was done (seconds into the load run).
    private static async Task<double> RunUntilRecoveredAsync(LoadRun load, int backStatus, TimeSpan within)
    {
        var restarted = load.Now;
        await load.WaitForAsync(restarted, s => s.Status == backStatus, within);
        await Task.Delay(1000, Cancellation);
        await load.StopAsync();
        return restarted;
    }

    private async Task StopPostgresAsync()
    {
        var postmaster = ProcessTree.Descendants(space.Pid(SpaceFixture.Postgres)).Prepend(space.Pid(SpaceFixture.Postgres))
            .FirstOrDefault(pid => ProcessTree.Name(pid) == "postgres");
        await space.ExpectAsync(postmaster != 0, "no postgres process under the postgres resource", SpaceFixture.Postgres);
        SpaceFixture.Signal(postmaster, "INT");
        await space.WaitStoppedAsync(SpaceFixture.Postgres, TimeSpan.FromSeconds(30), Cancellation);
    }

    private static HttpClient BackendClient(Uri service, string? token)
    {
        var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(20) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    private static async Task<int> StatusAsync(Uri url, int timeoutSeconds = 5)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        try
        {
            using var response = await http.GetAsync(url);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    private static async Task<bool> WaitForStatusAsync(Uri url, int status, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await StatusAsync(url) == status)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static string Examples(IEnumerable<LoadSample> samples) =>
        string.Join("; ", samples.Take(3).Select(s => s.Error ?? s.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"\bat [\w.]+\(")]
    private static partial Regex StackFrame();
}
