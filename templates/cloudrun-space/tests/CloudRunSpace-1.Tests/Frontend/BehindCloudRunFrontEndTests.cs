using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Mvc.Testing;

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

    private FrontendHost Frontend(bool onCloudRun) =>
        new(_space.Backend, _space.Audience, new Dictionary<string, string?>
        {
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
