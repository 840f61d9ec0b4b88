using System.Net;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Tests.Frontend;

/// <summary>
/// Behind Cloud Run's front end, which ends TLS and forwards <c>X-Forwarded-Proto: https</c>: the frontend treats
/// the request as HTTPS (HSTS is sent), and its cookies are <c>Secure</c> whatever the header says. Locally, behind
/// the local front end, a request forwarded as HTTPS gets Secure cookies too.
/// </summary>
public sealed class BehindCloudRunFrontEndTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private readonly RunningSpace _space = new(google, postgres);
    private readonly string _keys = Directory.CreateTempSubdirectory("key-ring-").FullName;

    public ValueTask InitializeAsync() => _space.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _space.DisposeAsync();
        Directory.Delete(_keys, recursive: true);
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_Cloud_Run_a_request_forwarded_as_https_gets_hsts_and_a_secure_antiforgery_cookie()
    {
        await using var frontend = Frontend(onCloudRun: true);

        using var response = await GetAsync(frontend, forwardedProto: "https");

        Assert.True(response.Headers.TryGetValues("Strict-Transport-Security", out var hsts), "no HSTS header");
        Assert.StartsWith("max-age=31536000", Assert.Single(hsts));
        Assert.All(response.Headers.GetValues("Set-Cookie"), cookie => Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task On_Cloud_Run_cookies_are_secure_even_on_a_request_that_says_nothing_of_https()
    {
        await using var frontend = Frontend(onCloudRun: true);

        using var response = await GetAsync(frontend, forwardedProto: null);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS is only sent over HTTPS");
        Assert.All(response.Headers.GetValues("Set-Cookie"), cookie => Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Locally_a_request_a_front_end_forwarded_as_https_gets_a_secure_cookie_and_no_hsts()
    {
        await using var frontend = Frontend(onCloudRun: false);

        using var response = await GetAsync(frontend, forwardedProto: "https");

        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS is for Cloud Run only");
        Assert.All(response.Headers.GetValues("Set-Cookie"), cookie => Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Locally_a_plain_http_request_gets_no_hsts_and_no_secure_cookie()
    {
        await using var frontend = Frontend(onCloudRun: false);

        using var response = await GetAsync(frontend, forwardedProto: null);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        Assert.All(response.Headers.GetValues("Set-Cookie"), cookie => Assert.DoesNotContain("; secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The client's address as the frontend sees it, served directly (Cloud Run's front end appends the client) and
    /// behind the external Application Load Balancer, which appends the client and then its own address (the deploy
    /// sets FrontEnd__ProxyHops=2 with EDGE=load-balancer). A value the client wrote itself is never taken.
    /// https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header
    /// </summary>
    [Theory]
    [InlineData(null, "198.51.100.66, 203.0.113.7")]
    [InlineData("1", "198.51.100.66, 203.0.113.7")]
    [InlineData("2", "198.51.100.66, 203.0.113.7, 34.117.20.1")]
    public async Task The_client_address_is_the_one_googles_proxies_saw(string? proxyHops, string forwardedFor)
    {
        await using var frontend = Frontend(onCloudRun: true, proxyHops);
        var options = frontend.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>();
        var context = new DefaultHttpContext();
        // Google's front end connects from an address of its own.
        context.Connection.RemoteIpAddress = IPAddress.Parse("35.191.0.9");
        context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        context.Request.Headers["X-Forwarded-Proto"] = "https";
        var middleware = new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance, options);

        await middleware.Invoke(context);

        Assert.Equal(IPAddress.Parse("203.0.113.7"), context.Connection.RemoteIpAddress);
    }

    private FrontendHost Frontend(bool onCloudRun, string? proxyHops = null) =>
        new(_space.Backend, _space.Audience, new Dictionary<string, string?>
        {
            ["FrontEnd:ProxyHops"] = proxyHops,
            ["K_SERVICE"] = onCloudRun ? "frontend" : null,
            ["DataProtection:KeysPath"] = _keys,
            ["DataProtection:CertificatePath"] = onCloudRun ? WriteCertificate() : null,
        });

    private string WriteCertificate() => KeyRingCertificate.Write(_keys + "-certificate.pem");

    private static async Task<HttpResponseMessage> GetAsync(FrontendHost frontend, string? forwardedProto)
    {
        var client = frontend.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        // HSTS is never sent to localhost: ask for the page by the host name Cloud Run gives the service.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = "frontend-123456789.us-central1.run.app" } };
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        }

        var response = await client.SendAsync(request, Cancellation);
        response.EnsureSuccessStatusCode();
        return response;
    }
}
