using CloudRunService_1.Example;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CloudRunService_1.Tests;

/// <summary>
/// The service in a test host, configured the way the deploy scripts configure it on Cloud Run, and the local Google that
/// issues its callers' tokens: one per test class (a class fixture).
/// </summary>
public sealed class ServiceHost : WebApplicationFactory<Greeting>, IAsyncLifetime
{
    /// <summary>The service's URL as Cloud Run would give it: the audience of its callers' tokens.</summary>
    public const string Audience = "https://cloudrun-entry-test-uc.a.run.app";
#if (Database)

    /// <summary>A database nobody listens for (port 1 of this machine): these tests run without one.</summary>
    public const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=space;Username=app;Timeout=2";
#endif

    /// <summary>The local Google: it signs the callers' ID tokens and serves its keys.</summary>
    public FakeGoogleServer Issuer { get; } = new();

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:Audience", Audience);
        builder.UseSetting("Auth:AllowedCallers", FakeGoogleServer.ServiceAccountEmail);
        builder.UseSetting("Auth:CertificatesUrl", Issuer.CertificatesUrl);
#if (Database)
        builder.UseSetting("ConnectionStrings:Database", UnreachableDatabase);
        // In a space with Cloud SQL IAM login the password is an access token from the metadata server: a closed port of
        // this machine here, so no test looks for Google's real one (169.254.169.254).
        Environment.SetEnvironmentVariable("GCE_METADATA_HOST", "127.0.0.1:1");
#endif
    }

    /// <inheritdoc />
    public ValueTask InitializeAsync() => new(Issuer.StartAsync());

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}
