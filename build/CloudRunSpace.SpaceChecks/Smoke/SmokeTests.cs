using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using CloudRunSpace.SpaceChecks.Space;
using Microsoft.Playwright;

namespace CloudRunSpace.SpaceChecks.Smoke;

/// <summary>
/// One built variant's space, started through its own AppHost, checked from outside as a person and an intruder meet
/// it: the page and its form in Chromium, the backend's token checks, the logs Cloud Logging reads and a clean exit on
/// SIGTERM. Each test leaves the space as it found it, so any one can run alone.
/// </summary>
[Trait("Category", "Smoke")]
public sealed class SmokeTests(SmokeFixture space) : IClassFixture<SmokeFixture>
{
    private const string TraceField = "logging.googleapis.com/trace";
    private const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";
    private const string TracePrefix = "projects/test-project/traces/";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task In_chromium_the_page_shows_the_seed_record_read_through_the_backend_with_no_error_or_failed_asset()
    {
        await using var page = await PageWatch.OpenAsync(space);

        var response = await page.Page.GotoAsync("/", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });

        await space.ExpectAsync(response?.Status == 200, $"GET / in chromium answered {response?.Status}, not 200", [.. page.Instances]);
        var titles = await page.Page.Locator("ul.records .title").AllInnerTextsAsync();
        await space.ExpectAsync(titles.Contains(SpaceFixture.SeedRecordTitle),
            $"the page lists [{string.Join(", ", titles)}], not the seed record '{SpaceFixture.SeedRecordTitle}' read through the backend",
            [.. page.Instances, SpaceFixture.Backend]);
        await page.ExpectCleanAsync();
    }

    [Fact]
    public async Task In_chromium_the_form_adds_a_record_with_post_redirect_get_and_an_antiforgery_token()
    {
        await using var page = await PageWatch.OpenAsync(space);
        await page.Page.GotoAsync("/", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        var title = "Smoke record " + Guid.NewGuid().ToString("N")[..10];
        var form = page.Page.Locator("form[method=post]");
        await space.ExpectAsync(await form.CountAsync() == 1, "the page has no single <form method=\"post\">", [.. page.Instances]);
        var token = await form.Locator("input[type=hidden][name=__RequestVerificationToken]").CountAsync();
        await space.ExpectAsync(token == 1, "the form carries no antiforgery token (hidden __RequestVerificationToken)", [.. page.Instances]);

        await form.Locator("input[name='Input.Title']").FillAsync(title);
        var post = await page.Page.RunAndWaitForRequestAsync(
            () => form.Locator("button[type=submit]").ClickAsync(),
            r => r.Method == "POST");
        var posted = await post.ResponseAsync();
        await page.Page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // Post/redirect/get: the post answers a redirect and the browser lands on the page with a GET, so a reload
        // cannot post the record twice.
        await space.ExpectAsync(posted?.Status is >= 300 and < 400,
            $"posting the form answered {posted?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? $"nothing ({post.Failure})"}, not a redirect (post/redirect/get){page.Problems}", [.. page.Instances]);
        var landed = post.RedirectedTo;
        var origin = space.Url(SpaceFixture.FrontendFrontEnd).GetLeftPart(UriPartial.Authority);
        await space.ExpectAsync(landed is { Method: "GET" } && new Uri(landed.Url).GetLeftPart(UriPartial.Path) == origin + "/" && landed.Failure is null,
            $"the post's redirect (Location: {(posted is null ? "none" : await posted.HeaderValueAsync("location"))}) took the browser to {landed?.Method} {landed?.Url} ({landed?.Failure ?? "no failure"}), not a GET of this front end's page {origin}/{page.Problems}",
            [.. page.Instances]);
        await page.Page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.NetworkIdle });
        var shown = (await page.Page.Locator("ul.records .title").AllInnerTextsAsync()).Count(t => t == title);
        await space.ExpectAsync(shown == 1, $"after the post and a reload the page shows '{title}' {shown} times, not once", [.. page.Instances, SpaceFixture.Backend]);
        var stored = await SpaceDatabase.ScalarAsync<long>(space, "SELECT count(*) FROM records WHERE title = @title", new Dictionary<string, object> { ["title"] = title }, Cancellation);
        await space.ExpectAsync(stored == 1, $"after the form post PostgreSQL holds {stored} records titled '{title}', not 1", SpaceFixture.Backend);
        await page.ExpectCleanAsync();
    }

    [Fact]
    public async Task The_backend_itself_answers_401_to_a_call_without_a_token()
    {
        var status = await GetRecordsAsync(space.Url(SpaceFixture.Backend), token: null);

        await space.ExpectAsync(status == HttpStatusCode.Unauthorized, $"GET /api/records of the backend without a token answered {(int)status}, not 401", SpaceFixture.Backend);
    }

    [Fact]
    public async Task The_backend_itself_answers_403_to_a_valid_token_of_an_account_it_does_not_allow()
    {
        var token = await space.MintIdTokenAsync(SpaceFixture.StrangerServiceAccount, space.BackendAudience, Cancellation);

        var status = await GetRecordsAsync(space.Url(SpaceFixture.Backend), token);

        await space.ExpectAsync(status == HttpStatusCode.Forbidden,
            $"GET /api/records of the backend with a valid token of {SpaceFixture.StrangerServiceAccount} answered {(int)status}, not 403", SpaceFixture.Backend);
    }

    [Fact]
    public async Task The_backend_s_front_end_refuses_a_stranger_s_valid_token_with_403_before_the_backend()
    {
        var token = await space.MintIdTokenAsync(SpaceFixture.StrangerServiceAccount, space.BackendAudience, Cancellation);

        var status = await GetRecordsAsync(space.Url(SpaceFixture.BackendFrontEnd), token);
        var withoutToken = await GetRecordsAsync(space.Url(SpaceFixture.BackendFrontEnd), token: null);

        await space.ExpectAsync(status == HttpStatusCode.Forbidden && withoutToken == HttpStatusCode.Forbidden,
            $"the backend's front end answered {(int)status} to {SpaceFixture.StrangerServiceAccount}'s token and {(int)withoutToken} to no token, not 403 to both (the invoker check)",
            SpaceFixture.BackendFrontEnd);
    }

    [Fact]
    public async Task The_frontend_s_account_reads_the_records_through_the_backend_s_front_end_with_200()
    {
        var token = await space.MintIdTokenAsync(SpaceFixture.FrontendServiceAccount, space.BackendAudience, Cancellation);
        using var http = new HttpClient { BaseAddress = space.Url(SpaceFixture.BackendFrontEnd), Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/records?limit=100");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await http.SendAsync(request, Cancellation);
        var body = await response.Content.ReadAsStringAsync(Cancellation);

        await space.ExpectAsync(response.StatusCode == HttpStatusCode.OK,
            $"GET /api/records as {SpaceFixture.FrontendServiceAccount} through the backend's front end answered {(int)response.StatusCode}, not 200: {body}",
            SpaceFixture.BackendFrontEnd, SpaceFixture.Backend);
        var titles = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(r => r.GetProperty("title").GetString()).ToList();
        await space.ExpectAsync(titles.Contains(SpaceFixture.SeedRecordTitle), $"the backend's record list lacks the seed record: [{string.Join(", ", titles)}]", SpaceFixture.Backend);
    }

    [Fact]
    public async Task Every_stdout_line_is_cloud_logging_json_and_every_request_line_carries_the_caller_s_trace()
    {
        var traceId = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        using var browser = new CloudRunSpace_1.Tests.EndToEnd.Browser(space.Url(SpaceFixture.FrontendFrontEnd));

        var page = await browser.GetAsync("/", traceParent: $"00-{traceId}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}-01");

        await space.ExpectAsync(page.Status == HttpStatusCode.OK, $"GET / with a traceparent answered {(int)page.Status}, not 200", SpaceFixture.FrontendFrontEnd);
        var instance = page.Instance.Replace("instance-", "frontend-", StringComparison.Ordinal);
        foreach (var resource in new[] { instance, SpaceFixture.Backend })
        {
            await CheckCloudLoggingLinesAsync(resource, traceId);
        }
    }

    [Theory]
    [InlineData(SpaceFixture.Backend)]
    [InlineData("frontend-1")]
    public async Task SIGTERM_ends_the_service_with_exit_code_0_within_10_seconds(string resource)
    {
        var pid = space.ServicePid(resource);
        var commandLine = ProcessTree.CommandLine(pid);
        try
        {
            SpaceFixture.Signal(pid, "TERM");
            var exited = await ProcessTree.WaitForExitAsync(pid, TimeSpan.FromSeconds(30));
            var stopped = await space.WaitStoppedAsync(resource, TimeSpan.FromSeconds(30), Cancellation);

            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{resource} (pid {pid}: {commandLine}): exited {exited?.TotalSeconds:0.00} s after SIGTERM; the AppHost shows {stopped.State?.Text}, exit code {stopped.ExitCode}");
            await space.ExpectAsync(exited is not null && exited <= TimeSpan.FromSeconds(10) && stopped.ExitCode == 0,
                $"SIGTERM did not end {resource} (pid {pid}) cleanly within 10 s: it {(exited is null ? "still ran after 30 s" : $"exited after {exited.Value.TotalSeconds:0.0} s")}, exit code {stopped.ExitCode?.ToString() ?? "none"} ({stopped.State?.Text})", resource);
        }
        finally
        {
            await space.StartAgainAsync(resource, Cancellation);
        }
    }

    private static async Task<HttpStatusCode> GetRecordsAsync(Uri service, string? token)
    {
        using var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/records?limit=5");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request, Cancellation);
        return response.StatusCode;
    }

    // Every stdout line is a Cloud Logging JSON object; every request line carries the project's trace; the trace the
    // page request came with shows in this service's lines.
    private async Task CheckCloudLoggingLinesAsync(string resource, string traceId)
    {
        var stdout = (await space.LogLinesAsync(resource)).Where(l => !l.IsError).Select(l => l.Text).ToList();
        await space.ExpectAsync(stdout.Count > 0, $"{resource} wrote nothing to stdout", resource);
        var requestLines = 0;
        var underTrace = 0;
        for (var i = 0; i < stdout.Count; i++)
        {
            JsonElement entry;
            try
            {
                entry = JsonDocument.Parse(stdout[i]).RootElement;
            }
            catch (JsonException)
            {
                await space.FailAsync($"{resource} stdout line {i + 1} is not JSON: {stdout[i]}", resource);
                return;
            }

            await space.ExpectAsync(
                entry.ValueKind == JsonValueKind.Object
                    && entry.TryGetProperty("severity", out var severity) && severity.ValueKind == JsonValueKind.String
                    && entry.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String,
                $"{resource} stdout line {i + 1} is not an object with a string severity and message: {stdout[i]}", resource);
            var trace = entry.TryGetProperty(TraceField, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (trace == TracePrefix + traceId)
            {
                underTrace++;
            }

            if (entry.TryGetProperty("category", out var category) && category.GetString() == RequestLogCategory)
            {
                requestLines++;
                await space.ExpectAsync(trace?.StartsWith(TracePrefix, StringComparison.Ordinal) == true,
                    $"{resource} stdout line {i + 1} was logged during a request but has no '{TraceField}' of the form {TracePrefix}ID: {stdout[i]}", resource);
            }
        }

        await space.ExpectAsync(requestLines > 0, $"{resource} logged no request lines ({RequestLogCategory} at Information), so their traces went unchecked", resource);
        await space.ExpectAsync(underTrace > 0, $"no {resource} line carries the trace {TracePrefix}{traceId} the page request came with", resource);
        TestContext.Current.TestOutputHelper?.WriteLine($"{resource}: {stdout.Count} JSON lines, {requestLines} request lines traced, {underTrace} under the page's trace");
    }
}
