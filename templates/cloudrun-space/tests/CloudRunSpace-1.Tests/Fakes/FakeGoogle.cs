using CloudRunSpace_1.LocalCloud.Google;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// The fake Google metadata server and token issuer for the whole test run (an assembly fixture), with
/// Google.Apis.Auth pointed at it before its first use: the library caches what it finds, process-wide.
/// </summary>
public sealed class FakeGoogle : IAsyncLifetime
{
    /// <summary>The service account the fake metadata server speaks for (the frontend's, on Cloud Run).</summary>
    public const string ServiceAccountEmail = FakeGoogleServer.ServiceAccountEmail;

    /// <summary>The access token the fake hands out.</summary>
    public const string AccessToken = FakeGoogleServer.AccessToken;

    /// <summary>The issuer Google writes into its ID tokens.</summary>
    public const string Issuer = FakeGoogleServer.Issuer;

    private readonly FakeGoogleServer _server = new();

    /// <summary>The JWKS URL to give the backend as <c>Auth__CertificatesUrl</c>.</summary>
    public string CertificatesUrl => _server.CertificatesUrl;

    /// <summary>How many ID tokens the metadata server has minted for one audience.</summary>
    public int IdentityRequestsFor(string audience) => _server.IdentityRequestsFor(audience);

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        await _server.StartAsync();
        Environment.SetEnvironmentVariable("GCE_METADATA_HOST", $"{_server.BaseUrl.Host}:{_server.BaseUrl.Port}");
        Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", null);
        var emptyHome = Directory.CreateTempSubdirectory("fake-home-").FullName;
        Environment.SetEnvironmentVariable("HOME", emptyHome);
        Environment.SetEnvironmentVariable("APPDATA", emptyHome);
    }

    /// <inheritdoc cref="FakeGoogleServer.IssueIdToken"/>
    public string IssueIdToken(string audience, string email, DateTimeOffset? issuedAt = null, TimeSpan? lifetime = null, string issuer = Issuer, bool emailVerified = true) =>
        _server.IssueIdToken(audience, email, issuedAt, lifetime, issuer, emailVerified);

    /// <inheritdoc cref="FakeGoogleServer.Sign"/>
    public static string Sign(object header, object payload, System.Security.Cryptography.RSA key) => FakeGoogleServer.Sign(header, payload, key);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
