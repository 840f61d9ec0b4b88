using System.Net;
using System.Text.RegularExpressions;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CloudRunSpace_1.Tests.Frontend;

/// <summary>
/// The whole path in one process: frontend page → ID token from the (fake) metadata server → backend, which
/// verifies the token → PostgreSQL. The backend's allow-list holds only the metadata server's account, so a
/// served page proves the frontend sent a valid token.
/// </summary>
public sealed partial class FrontendTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private readonly RunningSpace _space = new(google, postgres);

    public ValueTask InitializeAsync() => _space.InitializeAsync();

    public ValueTask DisposeAsync() => _space.DisposeAsync();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_page_lists_records_read_from_the_database_through_the_backend()
    {
        var page = await _space.Frontend.CreateClient().GetStringAsync("/", Cancellation);

        Assert.Contains("Welcome to your Cloud Run private space", page);
    }

    [Fact]
    public async Task Every_asset_the_page_loads_answers_200_the_stylesheet_and_the_favicon_among_them()
    {
        var client = _space.Frontend.CreateClient();
        var pageUrl = new Uri(client.BaseAddress!, "/");
        var page = await client.GetStringAsync(pageUrl, Cancellation);
        var baseUrl = BaseHref().Match(page) is { Success: true } found ? new Uri(pageUrl, found.Groups["url"].Value) : pageUrl;

        // What a browser fetches to show the page: stylesheets, icons, scripts, images, from this origin.
        var assets = AssetReference().Matches(page)
            .Select(match => new Uri(baseUrl, WebUtility.HtmlDecode(match.Groups["url"].Value)))
            .Where(asset => asset.Authority == pageUrl.Authority)
            .Distinct()
            .ToList();
        var answers = new List<string>();
        foreach (var asset in assets)
        {
            using var response = await client.GetAsync(asset, Cancellation);
            answers.Add($"{asset.PathAndQuery}: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}");
        }

        Assert.Contains("/site.css: 200 text/css", answers);
        Assert.Contains("/favicon.svg: 200 image/svg+xml", answers);
        Assert.All(answers, answer => Assert.Contains(": 200 ", answer, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_frontend_asks_the_metadata_server_for_a_token_once_not_per_request()
    {
        var client = _space.Frontend.CreateClient();
        await client.GetStringAsync("/", Cancellation);
        var afterFirst = google.IdentityRequestsFor(_space.Audience);

        for (var i = 0; i < 5; i++)
        {
            await client.GetStringAsync("/", Cancellation);
        }

        Assert.True(afterFirst >= 1, "the first page load should have minted a token");
        Assert.Equal(afterFirst, google.IdentityRequestsFor(_space.Audience));
    }

    [Fact]
    public async Task A_record_added_through_the_form_is_stored_and_listed()
    {
        var client = _space.Frontend.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var form = HtmlForm.HiddenInputs(await client.GetStringAsync("/", Cancellation));
        var title = "From the form " + Guid.NewGuid().ToString("N")[..8];
        form["Input.Title"] = title;

        var posted = await client.PostAsync("/", new FormUrlEncodedContent(form), Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Contains(title, await client.GetStringAsync("/", Cancellation));
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused()
    {
        var client = _space.Frontend.CreateClient();

        var posted = await client.PostAsync("/", new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Title"] = "forged" }), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.DoesNotContain("forged", await client.GetStringAsync("/", Cancellation));
    }

    [Fact]
    public async Task When_the_backend_is_down_the_page_says_so_plainly_with_503()
    {
        await using var frontend = new FrontendHost(() => new UnreachableBackend());

        var response = await frontend.CreateClient().GetAsync("/", Cancellation);
        var page = await response.Content.ReadAsStringAsync(Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("temporarily unavailable", page);
        Assert.DoesNotContain("Exception", page);
    }

    // href/src of the elements a browser loads with the page (not <a> links, which it only follows on a click).
    [GeneratedRegex(@"<(?:link|script|img|source|iframe)\b[^>]*?\s(?:href|src)=""(?<url>[^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex AssetReference();

    [GeneratedRegex(@"<base\b[^>]*?\shref=""(?<url>[^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex BaseHref();
}
