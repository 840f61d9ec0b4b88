using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CloudRunSpace_1.LocalCloud.Google;

/// <summary>
/// A fake of what Cloud Run's metadata server and Google's token issuer do for the space, on a loopback port:
/// access tokens, ID tokens signed RS256 with its own key, and the key set (JWKS) to verify them.
/// Point Google.Apis.Auth at it with <c>GCE_METADATA_HOST</c>. It has no test-framework dependency, so the
/// same code serves the tests in-process and the locally run space as its own process (<c>LocalCloud google</c>).
/// Its signing key can be rotated and its key set made to fail, so that a backend's key cache can be watched
/// through a rotation and an outage.
/// </summary>
public sealed class FakeGoogleServer : IAsyncDisposable
{
    /// <summary>The service account the fake metadata server speaks for (the frontend's, on Cloud Run).</summary>
    public const string ServiceAccountEmail = "frontend@test-project.iam.gserviceaccount.com";

    /// <summary>The access token the fake hands out.</summary>
    public const string AccessToken = "ya29.fake-access-token";

    /// <summary>The issuer Google writes into its ID tokens.</summary>
    public const string Issuer = "https://accounts.google.com";

    // Newest last: tokens are signed with the newest key; the key set publishes every key, as Google's keeps the
    // previous key for a while after a rotation.
    private readonly List<(string Id, RSA Key)> _keys = [("fake-key-1", RSA.Create(2048))];
    private WebApplication? _app;
    private readonly ConcurrentDictionary<string, int> _identityRequestsByAudience = new();
    private int _certificatesRequests;

    /// <summary>The fake's base URL.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The JWKS URL to give the backend as <c>Auth__CertificatesUrl</c>.</summary>
    public string CertificatesUrl => new Uri(BaseUrl, "/oauth2/v3/certs").ToString();

    /// <summary>How many ID tokens the metadata server has minted.</summary>
    public int IdentityRequests => _identityRequestsByAudience.Values.Sum();

    /// <summary>How many ID tokens the metadata server has minted for one audience (tests run side by side).</summary>
    public int IdentityRequestsFor(string audience) => _identityRequestsByAudience.GetValueOrDefault(audience);

    /// <summary>How many times the key set (JWKS) was asked for, answered or not.</summary>
    public int CertificatesRequests => Volatile.Read(ref _certificatesRequests);

    /// <summary>How the key set endpoint fails; <see cref="CertificatesFailure.None"/> (it answers) by default.</summary>
    public CertificatesFailure CertificatesFailure { get; set; }

    /// <summary>
    /// Starts signing with a new key (with a new key id) and publishes it beside the earlier ones.
    /// </summary>
    public void RotateSigningKey()
    {
        lock (_keys)
        {
            _keys.Add(($"fake-key-{_keys.Count + 1}", RSA.Create(2048)));
        }
    }

    /// <summary>Starts the fake on a loopback port (0: any free port).</summary>
    public async Task StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            context.Response.Headers["Metadata-Flavor"] = "Google";
            await next(context);
        });
        _app.MapGet("/", () => "ok");
        _app.MapGet("/computeMetadata/v1/instance/service-accounts/default/token", () =>
            Results.Json(new { access_token = AccessToken, expires_in = 3599, token_type = "Bearer" }));
        _app.MapGet("/computeMetadata/v1/instance/service-accounts/default/identity", (string audience) =>
        {
            _identityRequestsByAudience.AddOrUpdate(audience, 1, (_, count) => count + 1);
            return IssueIdToken(audience, ServiceAccountEmail);
        });
        _app.MapGet("/computeMetadata/v1/instance/service-accounts/default/email", () => ServiceAccountEmail);
        _app.MapGet("/computeMetadata/v1/project/project-id", () => "test-project");
        _app.MapGet("/oauth2/v3/certs", (Delegate)CertificatesAsync);
        // Test controls, not part of Google's API: mint a token for any caller, read the counters.
        _app.MapGet("/fake/id-token", (string audience, string email) => IssueIdToken(audience, email));
        _app.MapGet("/fake/stats", () => Results.Json(new { identityRequests = IdentityRequests, certificatesRequests = CertificatesRequests }));
        await _app.StartAsync();

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address);
    }

    /// <summary>Mints an ID token signed with the fake's key; every claim can be bent for negative tests.</summary>
    public string IssueIdToken(
        string audience,
        string email,
        DateTimeOffset? issuedAt = null,
        TimeSpan? lifetime = null,
        string issuer = Issuer,
        bool emailVerified = true)
    {
        var iat = issuedAt ?? DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["azp"] = "1234567890",
            ["sub"] = "1234567890",
            ["email"] = email,
            ["email_verified"] = emailVerified,
            ["iat"] = iat.ToUnixTimeSeconds(),
            ["exp"] = (iat + (lifetime ?? TimeSpan.FromHours(1))).ToUnixTimeSeconds(),
        };
        var (keyId, key) = NewestKey();
        return Sign(new { alg = "RS256", typ = "JWT", kid = keyId }, payload, key);
    }

    /// <summary>Signs a JWT with any key (a stranger's key makes a forged token).</summary>
    public static string Sign(object header, object payload, RSA key)
    {
        var signingInput = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload))}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        lock (_keys)
        {
            _keys.ForEach(key => key.Key.Dispose());
        }
    }

    private (string Id, RSA Key) NewestKey()
    {
        lock (_keys)
        {
            return _keys[^1];
        }
    }

    private async Task<IResult> CertificatesAsync(HttpContext context)
    {
        Interlocked.Increment(ref _certificatesRequests);
        switch (CertificatesFailure)
        {
            case CertificatesFailure.Unreachable:
                context.Abort();
                return Results.Empty;
            case CertificatesFailure.ServerError:
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            case CertificatesFailure.NotJson:
                return Results.Text("<html><body>Temporarily unavailable</body></html>", "text/html");
            case CertificatesFailure.NoKeys:
                return Results.Json(new { keys = Array.Empty<object>() });
            case CertificatesFailure.Hangs:
                try
                {
                    await Task.Delay(TimeSpan.FromMinutes(1), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up, as it should long before a minute.
                }

                return Results.Empty;
            default:
                return Results.Json(Jwks());
        }
    }

    private object Jwks()
    {
        lock (_keys)
        {
            return new
            {
                keys = _keys.Select(key =>
                {
                    var parameters = key.Key.ExportParameters(includePrivateParameters: false);
                    return new { kty = "RSA", alg = "RS256", use = "sig", kid = key.Id, n = Base64Url(parameters.Modulus!), e = Base64Url(parameters.Exponent!) };
                }).ToArray(),
            };
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>How the fake's key set (JWKS) endpoint fails.</summary>
public enum CertificatesFailure
{
    /// <summary>It answers with the key set.</summary>
    None,

    /// <summary>The connection is dropped before any answer, as when the issuer cannot be reached.</summary>
    Unreachable,

    /// <summary>503 Service Unavailable.</summary>
    ServerError,

    /// <summary>200 with an HTML page instead of JSON.</summary>
    NotJson,

    /// <summary>200 with a key set that holds no key.</summary>
    NoKeys,

    /// <summary>No answer until the client gives up.</summary>
    Hangs,
}
