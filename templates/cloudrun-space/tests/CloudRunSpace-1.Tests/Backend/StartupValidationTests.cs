using CloudRunSpace_1.ServiceDefaults.Auth;
using CloudRunSpace_1.ServiceDefaults;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>A misconfigured backend refuses to start, with a message that says what to fix.</summary>
public sealed class StartupValidationTests(FakeGoogle google)
{
    private const string UnusedDatabase = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    [Fact]
    public void Verification_off_is_refused_on_Cloud_Run()
    {
        var error = StartupFailure(new() { ["Auth:Enabled"] = "false", ["K_SERVICE"] = "backend" });

        Assert.Contains("refused on Cloud Run", error.Message);
    }

    [Fact]
    public async Task Verification_off_is_allowed_outside_Cloud_Run()
    {
        await using var backend = new BackendHost(UnusedDatabase, google, new Dictionary<string, string?> { ["Auth:Enabled"] = "false" });

        var response = await backend.CreateClient().GetAsync("/healthz/live", TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("Auth:Audience", "Auth__Audience")]
    [InlineData("Auth:AllowedCallers", "Auth__AllowedCallers")]
    public void A_missing_auth_setting_stops_the_start_naming_it(string key, string named)
    {
        var error = StartupFailure(new() { [key] = "" });

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void A_plain_http_certificates_url_is_refused_on_Cloud_Run()
    {
        var error = StartupFailure(new() { ["K_SERVICE"] = "backend", ["Auth:CertificatesUrl"] = "http://www.googleapis.com/oauth2/v3/certs" });

        Assert.Contains("Auth__CertificatesUrl", error.Message);
        Assert.Contains("https", error.Message);
    }

    [Theory]
    [InlineData("https://www.googleapis.com/oauth2/v3/certs", "backend")]
    [InlineData("http://keys.internal.example/oauth2/v3/certs", null)]
    [InlineData("http://127.0.0.1:8085/oauth2/v3/certs", "backend")]
    [InlineData("http://localhost:8085/oauth2/v3/certs", "backend")]
    public void An_https_certificates_url_a_local_run_s_http_one_and_a_loopback_one_are_accepted(string url, string? service)
    {
        Assert.Null(StartupError(new() { ["K_SERVICE"] = service, ["Auth:CertificatesUrl"] = url }));
    }

    private OptionsValidationException StartupFailure(Dictionary<string, string?> settings) =>
        StartupError(settings) ?? throw new Xunit.Sdk.XunitException("the start-up validation passed");

    // The start-up validation the host runs before it serves (what ValidateOnStart registers), over the backend's
    // own registrations. Not through WebApplicationFactory: when the entry point's start fails, its RunAsync
    // disposes the host while the factory still reads it, which then reports an ObjectDisposedException instead
    // of the reason, depending on timing.
    private OptionsValidationException? StartupError(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Audience"] = BackendHost.Audience,
            ["Auth:AllowedCallers"] = FakeGoogle.ServiceAccountEmail,
            ["Auth:CertificatesUrl"] = google.CertificatesUrl,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCloudRunDefaults();
        builder.AddGoogleIdTokenAuthentication();
        using var app = builder.Build();

        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            return null;
        }
        catch (OptionsValidationException error)
        {
            return error;
        }
    }
}
