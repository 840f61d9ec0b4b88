using System.Net;
using System.Text.RegularExpressions;
using CloudRunSpace_1.ServiceDefaults;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CloudRunSpace_1.Tests.Frontend;

/// <summary>
/// Every frontend response carries the security headers (pages, errors, static files, health), and the pages
/// need nothing the Content-Security-Policy forbids, so the policy does not break them.
/// </summary>
public sealed partial class SecurityHeadersTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private readonly RunningSpace _space = new(google, postgres);

    public ValueTask InitializeAsync() => _space.InitializeAsync();

    public ValueTask DisposeAsync() => _space.DisposeAsync();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "/", HttpStatusCode.OK)]
    [InlineData("GET", "/site.css", HttpStatusCode.OK)]
    [InlineData("GET", "/no-such-page", HttpStatusCode.NotFound)]
    [InlineData("POST", "/", HttpStatusCode.BadRequest)] // no anti-forgery token
    [InlineData("GET", "/healthz/live", HttpStatusCode.OK)]
    public async Task Every_response_carries_the_security_headers(string method, string path, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Title"] = "forged" });
        }

        var response = await _space.Frontend.CreateClient().SendAsync(request, Cancellation);

        Assert.Equal(status, response.StatusCode);
        AssertSecurityHeaders(response);
    }

    [Fact]
    public async Task The_backend_down_page_carries_the_security_headers()
    {
        await using var frontend = new FrontendHost(() => new UnreachableBackend());

        var response = await frontend.CreateClient().GetAsync("/", Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        AssertSecurityHeaders(response);
    }

    [Fact]
    public async Task The_pages_use_nothing_the_policy_forbids()
    {
        // The list page, and the page re-shown with a validation message after a blank title was posted.
        var client = _space.Frontend.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var listPage = await client.GetStringAsync("/", Cancellation);
        var form = HtmlForm.HiddenInputs(listPage);
        form["Input.Title"] = " ";
        var errorResponse = await client.PostAsync("/", new FormUrlEncodedContent(form), Cancellation);
        var errorPage = await errorResponse.Content.ReadAsStringAsync(Cancellation);
        Assert.Equal(HttpStatusCode.OK, errorResponse.StatusCode);
        Assert.Contains("Enter a title.", errorPage, StringComparison.Ordinal);

        foreach (var page in new[] { listPage, errorPage })
        {
            Assert.Contains("<form", page, StringComparison.Ordinal);
            Assert.DoesNotMatch(InlineScript(), page);
            Assert.DoesNotMatch(InlineStyleOrHandler(), page);
            Assert.DoesNotContain("javascript:", page, StringComparison.OrdinalIgnoreCase);
            // Every referenced resource is on this origin ('self'): relative URLs, no scheme or protocol-relative host.
            Assert.All(ResourceUrl().Matches(page), url => Assert.DoesNotMatch("^(?:[a-z]+:|//)", url.Groups["url"].Value));
        }
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, Header(response, "Content-Security-Policy"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal(SecurityHeaders.ReferrerPolicy, Header(response, "Referrer-Policy"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    // A <script> element without a src attribute runs inline code, which script-src 'self' blocks.
    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    // style="..." is blocked by style-src 'self'; onclick="..." and friends by script-src 'self'; <style> blocks too.
    [GeneratedRegex("\\s(?:style|on[a-z]+)\\s*=|<style", RegexOptions.IgnoreCase)]
    private static partial Regex InlineStyleOrHandler();

    [GeneratedRegex("<(?:script|link|img|iframe)[^>]*\\b(?:src|href)=\"(?<url>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ResourceUrl();
}
