using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>The backend verifies every caller's Google ID token itself: 401 for a bad token, 403 for a stranger.</summary>
public sealed class BackendAuthTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private BackendHost? _backend;

    public async ValueTask InitializeAsync()
    {
        _backend = new BackendHost(await postgres.CreateDatabaseAsync(), google);
        await _backend.MigrateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_valid_token_of_the_allowed_caller_is_served()
    {
        var response = await GetRecordsAsync(google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_request_without_a_token_is_401()
    {
        var response = await GetRecordsAsync(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_401()
    {
        var response = await GetRecordsAsync(google.IssueIdToken("https://someone-else.a.run.app", FakeGoogle.ServiceAccountEmail));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var issuedTwoHoursAgo = DateTimeOffset.UtcNow.AddHours(-2);
        var response = await GetRecordsAsync(google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail, issuedAt: issuedTwoHoursAgo));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_401()
    {
        var response = await GetRecordsAsync(google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail, issuer: "https://evil.example.com"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_401()
    {
        using var strangerKey = RSA.Create(2048);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var forged = FakeGoogle.Sign(
            new { alg = "RS256", typ = "JWT", kid = "fake-key-1" },
            new { iss = FakeGoogle.Issuer, aud = BackendHost.Audience, sub = "1", email = FakeGoogle.ServiceAccountEmail, email_verified = true, iat = now, exp = now + 3600 },
            strangerKey);

        var response = await GetRecordsAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_token_of_a_caller_not_on_the_allow_list_is_403()
    {
        var response = await GetRecordsAsync(google.IssueIdToken(BackendHost.Audience, "intruder@test-project.iam.gserviceaccount.com"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task An_allowed_caller_whose_email_is_not_verified_is_403()
    {
        var response = await GetRecordsAsync(google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail, emailVerified: false));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz/live")]
    [InlineData("/healthz/ready")]
    public async Task Health_endpoints_need_no_token(string path)
    {
        var response = await _backend!.CreateClient().GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<HttpResponseMessage> GetRecordsAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/records");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _backend!.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
    }
}
