using System.Net;
using System.Security.Cryptography;
using CloudRunSpace_1.ServiceDefaults.Auth;
using CloudRunSpace_1.LocalCloud.Google;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// A token signed with a key the backend has not seen yet makes it fetch the key set again before it answers, so a
/// key rotation refuses no caller; forged key ids cannot make it fetch more than once per interval.
/// </summary>
public sealed class SigningKeyRotationTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private const int Requests = 20;
    private static readonly RSA Stranger = RSA.Create(2048);
    private readonly OwnIssuerBackend _backend = new(google, postgres);

    public ValueTask InitializeAsync() => _backend.InitializeAsync();

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    [Fact]
    public async Task The_first_requests_after_a_key_rotation_are_served()
    {
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(_backend.AllowedCallerToken())).StatusCode);
        Assert.Equal(1, _backend.Issuer.CertificatesRequests);

        _backend.Issuer.RotateSigningKey();
        var rotated = _backend.AllowedCallerToken();
        var statuses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ => (await _backend.GetRecordsAsync(rotated)).StatusCode));

        Assert.True(statuses.All(status => status == HttpStatusCode.OK), $"after the rotation: {Summary(statuses)}");
        // All of them waited for one fetch.
        Assert.Equal(2, _backend.Issuer.CertificatesRequests);
    }

    [Fact]
    public async Task Key_ids_that_exist_nowhere_are_401_and_cost_one_fetch_per_interval()
    {
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(_backend.AllowedCallerToken())).StatusCode);
        Assert.Equal(1, _backend.Issuer.CertificatesRequests);

        var flood = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async index => (await _backend.GetRecordsAsync(Forged($"forged-{index}"))).StatusCode));
        for (var index = 0; index < Requests; index++)
        {
            flood = [.. flood, (await _backend.GetRecordsAsync(Forged($"forged-again-{index}"))).StatusCode];
        }

        Assert.True(flood.All(status => status == HttpStatusCode.Unauthorized), $"forged key ids: {Summary(flood)}");
        Assert.Equal(2, _backend.Issuer.CertificatesRequests);

        // The interval paces the fetches; it does not stop them for good.
        _backend.Clock.Advance(GoogleSigningKeys.MinimumFetchInterval);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _backend.GetRecordsAsync(Forged("forged-later"))).StatusCode);
        Assert.Equal(3, _backend.Issuer.CertificatesRequests);
    }

    [Fact]
    public async Task A_rotation_soon_after_a_forged_key_id_is_served_once_the_interval_has_passed()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _backend.GetRecordsAsync(Forged("forged"))).StatusCode);
        var fetches = _backend.Issuer.CertificatesRequests;

        _backend.Issuer.RotateSigningKey();
        var rotated = _backend.AllowedCallerToken();
        Assert.Equal(HttpStatusCode.Unauthorized, (await _backend.GetRecordsAsync(rotated)).StatusCode);
        Assert.Equal(fetches, _backend.Issuer.CertificatesRequests);

        _backend.Clock.Advance(GoogleSigningKeys.MinimumFetchInterval);
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(rotated)).StatusCode);
        Assert.Equal(fetches + 1, _backend.Issuer.CertificatesRequests);
    }

    // A well-formed token of the allowed caller, signed with a key the issuer never had, under a key id it never used.
    private static string Forged(string keyId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return FakeGoogleServer.Sign(
            new { alg = "RS256", typ = "JWT", kid = keyId },
            new { iss = FakeGoogle.Issuer, aud = BackendHost.Audience, sub = "1", email = FakeGoogle.ServiceAccountEmail, email_verified = true, iat = now, exp = now + 3600 },
            Stranger);
    }

    private static string Summary(IEnumerable<HttpStatusCode> statuses) =>
        string.Join(", ", statuses.GroupBy(status => status).Select(group => $"{group.Count()} × {(int)group.Key}"));
}
