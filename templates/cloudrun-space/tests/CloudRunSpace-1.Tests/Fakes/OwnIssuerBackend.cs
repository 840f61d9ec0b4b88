using System.Net.Http.Headers;
using CloudRunSpace_1.Backend.Records;
using CloudRunSpace_1.LocalCloud.Google;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// A migrated backend that trusts a token issuer of its own, so a test can rotate the issuer's key or take its
/// key set down without touching other tests, on a <see cref="ManualClock"/> and with its logs captured.
/// Create one per test and forward the test's InitializeAsync/DisposeAsync to it.
/// </summary>
public sealed class OwnIssuerBackend(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private BackendHost? _backend;
    private WebApplicationFactory<RecordStore>? _host;

    /// <summary>The issuer whose key set the backend fetches.</summary>
    public FakeGoogleServer Issuer { get; } = new();

    /// <summary>The backend's clock.</summary>
    public ManualClock Clock { get; } = new();

    /// <summary>Everything the backend logged.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        await Issuer.StartAsync();
        _backend = new BackendHost(
            await postgres.CreateDatabaseAsync(),
            google,
            new Dictionary<string, string?> { ["Auth:CertificatesUrl"] = Issuer.CertificatesUrl });
        await _backend.MigrateAsync();
        _host = _backend.WithWebHostBuilder(builder => builder
            .ConfigureLogging(logging => logging.AddProvider(Logs))
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
    }

    /// <summary>A token of the allowed caller, signed with the issuer's current key.</summary>
    public string AllowedCallerToken() => Issuer.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail);

    /// <summary><c>GET /api/records</c> with the given bearer token.</summary>
    public async Task<HttpResponseMessage> GetRecordsAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/records");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var host = _host ?? throw new InvalidOperationException("The backend is not started.");
        return await host.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        await Issuer.DisposeAsync();
    }
}
