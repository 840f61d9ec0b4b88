using CloudRunSpace_1.Backend.Data;
using CloudRunSpace_1.Backend.Records;
using CloudRunSpace_1.Frontend.Backend;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
#if (UseIamAuth)
using Npgsql;
#endif

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>The backend in a test host, configured the way the deploy scripts configure it on Cloud Run.</summary>
public sealed class BackendHost(string connectionString, FakeGoogle google, IReadOnlyDictionary<string, string?>? overrides = null)
    : WebApplicationFactory<RecordStore>
{
    /// <summary>The backend's URL as Cloud Run would give it: the audience of its callers' tokens.</summary>
    public const string Audience = "https://backend-test-uc.a.run.app";

    /// <summary>Applies the migrations to the host's database.</summary>
    public async Task MigrateAsync()
    {
        var exitCode = await Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        Assert.Equal(0, exitCode);
    }

    private static string AsBackendUser(string connectionString) =>
#if (UseIamAuth)
        // IAM login: no password in the connection string; the password provider supplies the access token
        // from the (fake) metadata server, which is this role's password.
        new NpgsqlConnectionStringBuilder(connectionString) { Username = PostgresServer.IamUser, Password = null }.ConnectionString;
#else
        connectionString;
#endif

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Database", AsBackendUser(connectionString));
        builder.UseSetting("Auth:Audience", Audience);
        builder.UseSetting("Auth:AllowedCallers", FakeGoogle.ServiceAccountEmail);
        builder.UseSetting("Auth:CertificatesUrl", google.CertificatesUrl);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>
/// The frontend in a test host. Its calls to the backend go to <paramref name="backendHandler"/>: the backend's
/// in-process test server, or a stand-in for a backend that is down. <paramref name="settings"/> are added to its
/// configuration as environment variables would be.
/// </summary>
public sealed class FrontendHost(
    Func<HttpMessageHandler> backendHandler,
    string audience = BackendHost.Audience,
    IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<RecordsClient>
{
    /// <summary>A frontend calling the given backend host, with ID tokens for <paramref name="audience"/>.</summary>
    public FrontendHost(BackendHost backend, string audience = BackendHost.Audience, IReadOnlyDictionary<string, string?>? settings = null)
        : this(() => backend.Server.CreateHandler(), audience, settings)
    {
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Backend:BaseUrl", BackendHost.Audience);
        builder.UseSetting("Backend:Audience", audience);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
            services.AddHttpClient<RecordsClient>().ConfigurePrimaryHttpMessageHandler(backendHandler));
    }
}
