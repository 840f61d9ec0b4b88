using CloudRunService_1.Example;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CloudRunService_1.Tests;

/// <summary>The service in a test host, configured the way the deploy scripts configure it on Cloud Run.</summary>
public sealed class ServiceHost(FakeGoogleServer issuer) : WebApplicationFactory<Greeting>
{
    /// <summary>The service's URL as Cloud Run would give it: the audience of its callers' tokens.</summary>
    public const string Audience = "https://cloudrun-entry-test-uc.a.run.app";

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:Audience", Audience);
        builder.UseSetting("Auth:AllowedCallers", FakeGoogleServer.ServiceAccountEmail);
        builder.UseSetting("Auth:CertificatesUrl", issuer.CertificatesUrl);
    }
}
