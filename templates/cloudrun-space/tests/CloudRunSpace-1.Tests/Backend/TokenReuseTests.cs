using System.Net;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// A caller sends the same ID token for its hour, and the backend keeps what it verified so that the signature is
/// checked once per token, not once per request; what it keeps must not outlive the token.
/// </summary>
public sealed class TokenReuseTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private readonly OwnIssuerBackend _backend = new(google, postgres);

    public ValueTask InitializeAsync() => _backend.InitializeAsync();

    public ValueTask DisposeAsync() => _backend.DisposeAsync();

    [Fact]
    public async Task A_token_served_before_is_refused_once_it_has_expired()
    {
        // Expires, the 30 s clock tolerance included, one to two seconds from now.
        var token = _backend.Issuer.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail,
            issuedAt: DateTimeOffset.UtcNow - TimeSpan.FromHours(1), lifetime: TimeSpan.FromHours(1) - TimeSpan.FromSeconds(28));
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _backend.GetRecordsAsync(token)).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        _backend.Clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.Unauthorized, (await _backend.GetRecordsAsync(token)).StatusCode);
    }
}
