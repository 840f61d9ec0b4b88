// The Smoke stage: each built variant's services as real processes, the way Cloud Run runs them (space.cake),
// checked from outside over HTTP, in PostgreSQL and in their stdout; then its deploy scripts (shellcheck and
// up.sh --dry-run). Each check failure names the check and the log file to read.
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudRunSpace.Validation.Http;
using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Postgres;
using CloudRunSpace.Validation.Processes;
using CloudRunSpace.Validation.Spaces;

// Request logging on for the smoke run: without it a request may log nothing, and "every line logged during a
// request carries the trace" would hold for no lines at all.
static readonly IReadOnlyDictionary<string, string> SmokeLogSettings = new Dictionary<string, string>
{
    ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
};

const string SeedRecordTitle = "Welcome to your Cloud Run private space";
const string StrangerEmail = "stranger@test-project.iam.gserviceaccount.com";
const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";
const string TraceField = "logging.googleapis.com/trace";

// The Smoke target: every variant that built (a failed test must not hide what the running services do).
void SmokeTarget()
{
    var fakeGoogle = stages.BuildFakeGoogle();
    stages.ForEachVariant("smoke", variant => SmokeVariant(paths, variant, fakeGoogle, report), needsBuildOnly: true);
}

// Runs the smoke checks of one variant; records "smoke", "shellcheck" and "deploy-dry-run" stages.
bool SmokeVariant(BuildPaths paths, Variant variant, string fakeGoogleDll, ValidationReport report)
{
    var services = SmokeServices(paths, variant, fakeGoogleDll, report);
    var shellcheck = ShellcheckVariant(paths, variant, report);
    var dryRun = DeployDryRunVariant(paths, variant, report);
    return services && shellcheck && dryRun;
}

bool SmokeServices(BuildPaths paths, Variant variant, string fakeGoogleDll, ValidationReport report)
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var checkLog = paths.Log(variant.Name, "smoke");
    EnsureDirectoryExists(paths.Logs);
    var passed = new List<string>();
    void Note(string line) => System.IO.File.AppendAllText(checkLog, line + "\n");
    System.IO.File.WriteAllText(checkLog, $"# smoke checks of {variant.Name} ({string.Join(" ", variant.CliArguments)})\n");

    string problem = null, logFile = checkLog, summary = "";
    try
    {
        using var space = new LocalSpace(stages.SpaceSettingsFor(variant, fakeGoogleDll, "smoke", SmokeLogSettings), line => Information("{0}", line));
        Note($"# service logs: {string.Join(", ", new[] { "postgres", "fake-google", "migrate", "backend", "frontend" }.Select(p => System.IO.Path.GetFileName(space.LogPath(p))))}");
        space.Start();
        passed.Add("space started (migrate exit 0, both ready)");

        using var http = new HttpClient(new LoopbackCookieHandler())
        { Timeout = TimeSpan.FromSeconds(20) };
        var traceId = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

        CheckPageShowsSeedRecord(space, http, traceId); passed.Add("page shows the seed record");
        var title = CheckFormAddsRecord(space, http); passed.Add("form post stored a record");
        CheckBackendAuthorization(space, title); passed.Add("backend 401/403/200");

        // Stopped before the log checks, so the shutdown lines are checked too.
        foreach (var service in new[] { space.Frontend, space.Backend })
        {
            var stop = service.Stop(TimeSpan.FromSeconds(15));
            Note($"{service.Name} SIGTERM: {stop}");
            if (stop.Killed || stop.ExitCode != 0 || stop.Seconds > 10)
                throw new LoggedFailureException($"SIGTERM did not end the {service.Name} cleanly within 10 s: {stop}", service.LogFile);
        }
        passed.Add($"SIGTERM: frontend exit 0 in {space.Frontend.LastStop.Seconds:0.0} s, backend exit 0 in {space.Backend.LastStop.Seconds:0.0} s");
        summary = $"SIGTERM {space.Frontend.LastStop.Seconds:0.0}/{space.Backend.LastStop.Seconds:0.0} s";

        var lineCounts = new[] { space.Frontend, space.Backend }.Select(s => CheckCloudLoggingLines(s, traceId)).ToList();
        passed.Add($"logs: {string.Join(", ", lineCounts)}");
        summary = $"{passed.Count} checks passed (page, form, 401/403, {summary}, JSON logs {space.Frontend.StdoutLines.Count}+{space.Backend.StdoutLines.Count} lines with trace ids)";
    }
    catch (LoggedFailureException failure) { problem = failure.Message; if (failure.LogFile != "") logFile = failure.LogFile; }
    catch (Exception failure) when (failure is HttpRequestException or TaskCanceledException or IOException or JsonException)
    {
        problem = $"{failure.GetType().Name}: {failure.Message}";
    }

    foreach (var check in passed) Note("passed: " + check);
    if (problem != null) Note("FAILED: " + problem);
    var detail = problem ?? summary; // every check is listed in the smoke log
    var run = new StageRun { ExitCode = problem == null ? 0 : 1, Seconds = watch.Elapsed.TotalSeconds, LogFile = logFile };
    return stages.Record(variant.Name, "smoke", run, problem, detail);
}

void CheckPageShowsSeedRecord(LocalSpace space, HttpClient http, string traceId)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, space.FrontendUrl + "/");
    // A caller's trace context, as Cloud Run's front end passes it: the frontend and the backend must log under it.
    request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}-01");
    using var response = http.Send(request);
    var page = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
    if (response.StatusCode != HttpStatusCode.OK)
        throw new LoggedFailureException($"GET / of the frontend answered {(int)response.StatusCode}, not 200", space.Frontend.LogFile);
    if (!page.Contains(WebUtility.HtmlEncode(SeedRecordTitle)))
        throw new LoggedFailureException($"the frontend page does not show the seed record '{SeedRecordTitle}' read through the backend", space.Frontend.LogFile);
}

// Posts the page's own form back (its hidden inputs: the antiforgery token, and Blazor's _handler) with a new
// title; returns the title once PostgreSQL holds it.
string CheckFormAddsRecord(LocalSpace space, HttpClient http)
{
    var page = http.GetStringAsync(space.FrontendUrl + "/").GetAwaiter().GetResult();
    var form = Regex.Match(page, @"<form\b(?<attributes>[^>]*\bmethod=""post""[^>]*)>(?<body>.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase);
    if (!form.Success) throw new LoggedFailureException("the frontend page has no <form method=\"post\">", space.Frontend.LogFile);

    var title = "Smoke record " + Guid.NewGuid().ToString("N")[..10];
    var fields = new List<KeyValuePair<string, string>>();
    string titleField = null;
    foreach (Match input in Regex.Matches(form.Groups["body"].Value, @"<input\b[^>]*>", RegexOptions.IgnoreCase))
    {
        string Attribute(string name)
        {
            var match = Regex.Match(input.Value, $@"\b{name}=""(?<value>[^""]*)""", RegexOptions.IgnoreCase);
            return match.Success ? WebUtility.HtmlDecode(match.Groups["value"].Value) : null;
        }
        var name = Attribute("name");
        if (name == null) continue;
        if (string.Equals(Attribute("type"), "hidden", StringComparison.OrdinalIgnoreCase)) fields.Add(new(name, Attribute("value") ?? ""));
        else if (name.EndsWith("Title", StringComparison.Ordinal)) titleField = name;
    }
    if (titleField != "Input.Title")
        throw new LoggedFailureException($"the form's title input is named '{titleField ?? "(none)"}', not Input.Title", space.Frontend.LogFile);
    if (!fields.Any(f => f.Key == "__RequestVerificationToken"))
        throw new LoggedFailureException("the form carries no antiforgery token (__RequestVerificationToken)", space.Frontend.LogFile);
    fields.Add(new(titleField, title));

    var action = Regex.Match(form.Groups["attributes"].Value, @"\baction=""(?<url>[^""]*)""", RegexOptions.IgnoreCase);
    var target = new Uri(new Uri(space.FrontendUrl + "/"), action.Success ? WebUtility.HtmlDecode(action.Groups["url"].Value) : "");
    using var response = http.PostAsync(target, new FormUrlEncodedContent(fields)).GetAwaiter().GetResult();
    var status = (int)response.StatusCode;
    // Post/redirect/get: a reload must not add the record twice.
    if (status is < 300 or > 399)
        throw new LoggedFailureException($"posting the form answered {status}, not a redirect (post/redirect/get)", space.Frontend.LogFile);

    var stored = space.Postgres.Sql($"SELECT count(*) FROM records WHERE title = {ThrowawayPostgres.QuoteLiteral(title)}", LocalSpace.DatabaseName);
    if (stored != "1")
        throw new LoggedFailureException($"after the form post PostgreSQL holds {stored} records titled '{title}', not 1", space.Backend.LogFile);
    return title;
}

void CheckBackendAuthorization(LocalSpace space, string addedTitle)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
    var records = space.BackendUrl + "/api/records?limit=100";
    HttpStatusCode Get(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, records);
        if (token != null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = http.Send(request);
        return response.StatusCode;
    }
    string Mint(string email) => http.GetStringAsync(
        $"{space.FakeGoogleUrl}/fake/id-token?audience={Uri.EscapeDataString(space.BackendAudience)}&email={Uri.EscapeDataString(email)}").GetAwaiter().GetResult().Trim();

    var anonymous = Get(null);
    if (anonymous != HttpStatusCode.Unauthorized)
        throw new LoggedFailureException($"GET /api/records without a token answered {(int)anonymous}, not 401", space.Backend.LogFile);
    var stranger = Get(Mint(StrangerEmail));
    if (stranger != HttpStatusCode.Forbidden)
        throw new LoggedFailureException($"GET /api/records with a valid token of {StrangerEmail} (not allowed) answered {(int)stranger}, not 403", space.Backend.LogFile);

    using var allowed = new HttpRequestMessage(HttpMethod.Get, records);
    allowed.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Mint(LocalSpace.FrontendServiceAccount));
    using var response = http.Send(allowed);
    var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
    if (response.StatusCode != HttpStatusCode.OK)
        throw new LoggedFailureException($"GET /api/records as the frontend's service account answered {(int)response.StatusCode}, not 200", space.Backend.LogFile);
    var titles = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(r => r.GetProperty("title").GetString()).ToList();
    if (!titles.Contains(addedTitle) || !titles.Contains(SeedRecordTitle))
        throw new LoggedFailureException($"the backend's record list lacks '{addedTitle}' or the seed record", space.Backend.LogFile);
}

// Every stdout line is a Cloud Logging JSON object; every request line carries the project's trace, and the
// trace the page request came with shows up in this service's lines. Returns a count for the report.
string CheckCloudLoggingLines(ServiceProcess service, string traceId)
{
    var lines = service.StdoutLines;
    if (lines.Count == 0) throw new LoggedFailureException($"the {service.Name} wrote nothing to stdout", service.LogFile);
    var requestLines = 0;
    var underPageTrace = 0;
    var tracePrefix = $"projects/{LocalSpace.ProjectId}/traces/";
    for (var i = 0; i < lines.Count; i++)
    {
        JsonElement entry;
        try { entry = JsonDocument.Parse(lines[i]).RootElement; }
        catch (JsonException) { throw new LoggedFailureException($"{service.Name} stdout line {i + 1} is not JSON: {Shorten(lines[i])}", service.LogFile); }
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("severity", out var severity) || severity.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String)
            throw new LoggedFailureException($"{service.Name} stdout line {i + 1} is not an object with string severity and message: {Shorten(lines[i])}", service.LogFile);

        var hasTrace = entry.TryGetProperty(TraceField, out var trace) && trace.ValueKind == JsonValueKind.String;
        if (hasTrace && trace.GetString() == tracePrefix + traceId) underPageTrace++;
        if (entry.TryGetProperty("category", out var category) && category.GetString() == RequestLogCategory)
        {
            requestLines++;
            if (!hasTrace || !trace.GetString()!.StartsWith(tracePrefix, StringComparison.Ordinal))
                throw new LoggedFailureException($"{service.Name} stdout line {i + 1} was logged during a request but has no '{TraceField}' of the form {tracePrefix}ID: {Shorten(lines[i])}", service.LogFile);
        }
    }
    if (requestLines == 0)
        throw new LoggedFailureException($"the {service.Name} logged no request lines ({RequestLogCategory} at Information), so their trace ids went unchecked", service.LogFile);
    if (underPageTrace == 0)
        throw new LoggedFailureException($"no {service.Name} line carries the trace {tracePrefix}{traceId} the page request came with", service.LogFile);
    return $"{service.Name} {lines.Count} JSON lines ({requestLines} request lines traced, {underPageTrace} under the page's trace)";
}

static string Shorten(string line) => line.Length <= 200 ? line : line[..200] + "…";

// Every shell script of the variant (deploy/**/*.sh and run-local.sh) passes shellcheck.
bool ShellcheckVariant(BuildPaths paths, Variant variant, ValidationReport report)
{
    var deploy = System.IO.Path.Combine(paths.VariantDirectory(variant), "deploy");
    var scripts = System.IO.Directory.Exists(deploy)
        ? System.IO.Directory.GetFiles(deploy, "*.sh", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(deploy, f)).Order().ToList()
        : new List<string>();
    if (scripts.Count == 0)
    {
        report.Add(new StageResult { Variant = variant.Name, Stage = "shellcheck", Status = StageStatus.Failed, Detail = $"the variant has no deploy/*.sh" });
        return false;
    }
    scripts.Add("../run-local.sh");
    // Run from deploy/: the scripts' `# shellcheck source=lib/…` directives are relative to it.
    var run = stages.Run("shellcheck", new[] { "--external-sources", "--severity=style" }.Concat(scripts), paths.Log(variant.Name, "shellcheck"), deploy,
        timeout: TimeSpan.FromMinutes(3));
    return stages.Record(variant.Name, "shellcheck", run, ValidationStages.ExitCodeProblem(run), $"{scripts.Count} scripts clean");
}

// deploy/up.sh --dry-run prints its gcloud calls and changes nothing: a gcloud on PATH that records each call and
// fails it (found nothing). Read-only calls (describe, list, secrets versions access) are what a dry run may make to
// show what would change; any other call fails the stage.
bool DeployDryRunVariant(BuildPaths paths, Variant variant, ValidationReport report)
{
    var trap = System.IO.Directory.CreateTempSubdirectory("dry-run-gcloud-").FullName;
    try
    {
        var called = System.IO.Path.Combine(trap, "called");
        System.IO.File.WriteAllText(System.IO.Path.Combine(trap, "gcloud"),
            "#!/usr/bin/env bash\n# A dry run may read (and finds nothing here); it must not change anything.\n" +
            $"printf '%s\\n' \"$*\" >>'{called}'\necho 'gcloud called during --dry-run' >&2\nexit 97\n");
        System.IO.File.SetUnixFileMode(System.IO.Path.Combine(trap, "gcloud"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var variantDirectory = paths.VariantDirectory(variant);
        var run = stages.Run("bash", new[] { "deploy/up.sh", "--dry-run" }, paths.Log(variant.Name, "deploy-dry-run"), variantDirectory,
            new Dictionary<string, string> { ["PATH"] = trap + ":" + Environment.GetEnvironmentVariable("PATH") }, TimeSpan.FromMinutes(2));
        var calls = Regex.Matches(run.Output, @"^DRY-RUN: gcloud ", RegexOptions.Multiline).Count;
        var made = System.IO.File.Exists(called) ? System.IO.File.ReadAllLines(called) : Array.Empty<string>();
        var changing = made.Where(line => !line.Split(' ').TakeWhile(word => !word.StartsWith("--")).Any(word => word is "describe" or "list" or "access")).ToList();
        var egress = variant.Options.TryGetValue("egress", out var e) ? e : "direct-vpc";
        var problem = ValidationStages.ExitCodeProblem(run)
            ?? (changing.Count > 0 ? $"the dry run made a changing gcloud call: {changing[0]}" : null)
            ?? (calls == 0 ? "the dry run printed no 'DRY-RUN: gcloud' line" : null)
            // The connector is the one resource only one egress mode provisions.
            ?? ((egress == "connector") != run.Output.Contains("vpcaccess.googleapis.com")
                ? $"--egress {egress}, yet the dry run {(egress == "connector" ? "does not enable" : "enables")} vpcaccess.googleapis.com" : null);
        return stages.Record(variant.Name, "deploy-dry-run", run, problem, $"{calls} gcloud calls printed; {made.Length} read-only calls made, none that change");
    }
    finally
    {
        System.IO.Directory.Delete(trap, recursive: true);
    }
}
