using System.Net;
using System.Text.Json;
using CloudRunSpace_1.ServiceDefaults.Auth;
using CloudRunSpace_1.LocalCloud.Google;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// While the issuer's key set cannot be fetched and no cached key verifies a token, the caller gets 503 problem
/// details with Retry-After (not 500, not 401), and the backend serves again by itself once the key set is back.
/// </summary>
public sealed class SigningKeysUnavailableTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private readonly OwnIssuerBackend _backend = new(google, postgres);

    public ValueTask InitializeAsync() => _backend.InitializeAsync();

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    public static TheoryData<CertificatesFailure> Failures =>
    [
        CertificatesFailure.Unreachable, CertificatesFailure.ServerError, CertificatesFailure.NotJson,
        CertificatesFailure.NoKeys, CertificatesFailure.Hangs,
    ];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Without_a_key_set_the_caller_gets_503_problem_details_with_Retry_After(CertificatesFailure failure)
    {
        _backend.Issuer.CertificatesFailure = failure;
        var token = _backend.AllowedCallerToken();

        var response = await _backend.GetRecordsAsync(token);

        await AssertUnavailableAsync(response, token);
    }

    [Fact]
    public async Task A_new_key_while_the_key_set_cannot_be_fetched_is_503_and_cached_keys_still_serve()
    {
        var signedWithTheOldKey = _backend.AllowedCallerToken();
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(signedWithTheOldKey)).StatusCode);

        _backend.Issuer.RotateSigningKey();
        _backend.Issuer.CertificatesFailure = CertificatesFailure.Unreachable;
        var signedWithTheNewKey = _backend.AllowedCallerToken();

        await AssertUnavailableAsync(await _backend.GetRecordsAsync(signedWithTheNewKey), signedWithTheNewKey);
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(signedWithTheOldKey)).StatusCode);
    }

    [Fact]
    public async Task The_backend_serves_again_by_itself_once_the_key_set_is_back()
    {
        _backend.Issuer.CertificatesFailure = CertificatesFailure.ServerError;
        var first = await _backend.GetRecordsAsync(_backend.AllowedCallerToken());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        var retryAfter = first.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("no Retry-After delay");
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), GoogleSigningKeys.MinimumFetchInterval);

        // Until then the backend answers at once, without asking the issuer again.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await _backend.GetRecordsAsync(_backend.AllowedCallerToken())).StatusCode);
        Assert.Equal(1, _backend.Issuer.CertificatesRequests);

        _backend.Issuer.CertificatesFailure = CertificatesFailure.None;
        _backend.Clock.Advance(retryAfter);

        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(_backend.AllowedCallerToken())).StatusCode);
        Assert.Equal(2, _backend.Issuer.CertificatesRequests);
    }

    private async Task AssertUnavailableAsync(HttpResponseMessage response, string token)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(
            response.StatusCode == HttpStatusCode.ServiceUnavailable,
            $"answered {(int)response.StatusCode}, not 503; the service logged:\n{string.Join('\n', _backend.Logs.Entries)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {response.Headers.RetryAfter}");
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);

        var secrets = token.Split('.').Where(part => part.Length >= 16).Append(token).ToArray();
        Assert.DoesNotContain(secrets, secret => body.Contains(secret, StringComparison.Ordinal));
        var leaks = _backend.Logs.Entries.Where(entry => secrets.Any(secret => entry.Contains(secret, StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, "the token reached the logs:\n" + string.Join('\n', leaks));
        // Without this, "no log line holds the token" could pass because nothing was captured at all.
        Assert.Contains(_backend.Logs.Entries, entry => entry.Contains("signing keys", StringComparison.OrdinalIgnoreCase));
    }
}
