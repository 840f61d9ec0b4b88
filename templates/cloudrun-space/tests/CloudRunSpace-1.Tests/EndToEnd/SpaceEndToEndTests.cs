using System.Net;
using System.Text.Json;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.EndToEnd;

/// <summary>
/// The space through its local Cloud Run front ends, as a browser and an intruder meet it: pages and forms spread over
/// two frontend instances, the invoker check before the backend and the backend's own check behind it, HTTPS as the
/// browser sees it, a restart, and the trace in every log line.
/// </summary>
public sealed class SpaceEndToEndTests(SpaceApp space) : IClassFixture<SpaceApp>
{
    private const string TraceField = "logging.googleapis.com/trace";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_page_through_the_front_end_lists_records_from_the_database()
    {
        using var browser = new Browser(space.Url(SpaceApp.FrontendFrontEnd));

        var page = await browser.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Welcome to your Cloud Run private space", page.Body);
    }

    [Fact]
    public async Task Twenty_forms_each_rendered_by_one_instance_and_posted_to_the_other_are_all_stored()
    {
        using var browser = new Browser(space.Url(SpaceApp.FrontendFrontEnd));
        var titles = new List<string>();
        var postedTo = new HashSet<string>();

        for (var i = 0; i < 20; i++)
        {
            if (i % 2 == 1)
            {
                // One more request moves the round-robin on, so the posts land on both instances in turn.
                await browser.GetAsync("/healthz/live");
            }

            var page = await browser.GetAsync("/");
            var title = $"Across instances {i} {Guid.NewGuid():N}"[..40];
            var form = HtmlForm.HiddenInputs(page.Body);
            form["Input.Title"] = title;
            var posted = await browser.PostAsync("/", form);

            Assert.True(posted.Status is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.OK, $"post {i}: {posted.Status}");
            Assert.NotEqual(page.Instance, posted.Instance);
            postedTo.Add(posted.Instance);
            titles.Add(title);
        }

        Assert.Equal(2, postedTo.Count);
        var list = await browser.GetAsync("/");
        Assert.All(titles, title => Assert.Contains(WebUtility.HtmlEncode(title), list.Body));
    }

    [Fact]
    public async Task The_backend_s_front_end_refuses_a_call_without_a_token_with_403()
    {
        using var http = new HttpClient { BaseAddress = space.Url(SpaceApp.BackendFrontEnd) };

        using var response = await http.GetAsync("/api/records", Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_backend_itself_refuses_a_call_around_its_front_end_without_a_token_with_401()
    {
        using var http = new HttpClient { BaseAddress = space.Url("backend") };

        using var response = await http.GetAsync("/api/records", Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Through_the_front_end_cookies_are_secure_no_url_in_the_page_is_http_and_the_redirect_stays_on_the_front_end()
    {
        var frontEnd = space.Url(SpaceApp.FrontendFrontEnd);
        using var browser = new Browser(frontEnd);

        var page = await browser.GetAsync("/");
        var form = HtmlForm.HiddenInputs(page.Body);
        form["Input.Title"] = "Secure " + Guid.NewGuid().ToString("N")[..8];
        var posted = await browser.PostAsync("/", form);

        Assert.NotEmpty(page.SetCookies);
        Assert.All(page.SetCookies, cookie => Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("http://", page.Body.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal));
        // The service believes it is behind TLS, as on Cloud Run; an absolute redirect must still lead the browser
        // back to the front end it is on (locally plain http), not to an instance or to a scheme nobody serves.
        if (posted.Location is { IsAbsoluteUri: true } location)
        {
            Assert.Equal(frontEnd.GetLeftPart(UriPartial.Authority), location.GetLeftPart(UriPartial.Authority));
        }
    }

    [Fact]
    public async Task A_form_rendered_before_both_instances_restart_is_accepted_after()
    {
        using var browser = new Browser(space.Url(SpaceApp.FrontendFrontEnd));
        var page = await browser.GetAsync("/");
        var form = HtmlForm.HiddenInputs(page.Body);
        var title = "After a restart " + Guid.NewGuid().ToString("N")[..8];
        form["Input.Title"] = title;

        foreach (var instance in SpaceApp.FrontendInstances)
        {
            await space.RestartAsync(instance, Cancellation);
        }

        var posted = await browser.PostAsync("/", form);

        Assert.True(posted.Status is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.OK, $"after the restart: {posted.Status}");
        Assert.Contains(WebUtility.HtmlEncode(title), (await browser.GetAsync("/")).Body);
    }

    [Fact]
    public async Task Every_json_log_line_of_a_request_carries_its_trace_and_the_page_s_trace_reaches_the_backend()
    {
        var traceId = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        using var browser = new Browser(space.Url(SpaceApp.FrontendFrontEnd));

        var page = await browser.GetAsync("/", traceParent: $"00-{traceId}-{Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}-01");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        foreach (var resource in new[] { "backend", page.Instance.Replace("instance-", "frontend-", StringComparison.Ordinal) })
        {
            var lines = await space.LogLinesAsync(resource, Cancellation);
            var entries = lines
                .Where(line => line.TrimStart().StartsWith('{'))
                .Select(line => JsonDocument.Parse(line).RootElement)
                .ToList();
            Assert.True(entries.Count > 0, $"{resource} wrote no JSON line among {lines.Count}: {string.Join(" | ", lines.Take(3))}");
            var duringRequests = entries.Where(entry => entry.TryGetProperty("logging.googleapis.com/spanId", out _)).ToList();
            Assert.All(duringRequests, entry => Assert.StartsWith("projects/test-project/traces/", entry.GetProperty(TraceField).GetString()));
            Assert.Contains(entries, entry => entry.TryGetProperty(TraceField, out var trace) && trace.GetString()!.EndsWith(traceId, StringComparison.Ordinal));
        }
    }
}
