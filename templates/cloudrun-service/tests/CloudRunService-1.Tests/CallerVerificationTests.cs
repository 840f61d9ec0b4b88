using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CloudRunService_1.Example;

namespace CloudRunService_1.Tests;

/// <summary>The service verifies every caller's Google ID token itself: 401 for a bad token, 403 for a stranger.</summary>
public sealed class CallerVerificationTests(ServiceHost service) : IClassFixture<ServiceHost>
{
    [Fact]
    public async Task An_invoker_with_a_valid_token_is_served()
    {
        var response = await GetHelloAsync(service.Issuer.IssueIdToken(ServiceHost.Audience, FakeGoogleServer.ServiceAccountEmail));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var greeting = await response.Content.ReadFromJsonAsync<Greeting>(TestContext.Current.CancellationToken);
        Assert.Equal($"Hello, {FakeGoogleServer.ServiceAccountEmail}.", greeting?.Message);
    }

    [Fact]
    public async Task A_request_without_a_token_is_401()
    {
        var response = await GetHelloAsync(token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_401()
    {
        var response = await GetHelloAsync(service.Issuer.IssueIdToken("https://other-service.a.run.app", FakeGoogleServer.ServiceAccountEmail));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var token = service.Issuer.IssueIdToken(ServiceHost.Audience, FakeGoogleServer.ServiceAccountEmail,
            issuedAt: DateTimeOffset.UtcNow.AddHours(-2), lifetime: TimeSpan.FromHours(1));
        var response = await GetHelloAsync(token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_valid_token_of_an_account_that_is_no_invoker_is_403()
    {
        var response = await GetHelloAsync(service.Issuer.IssueIdToken(ServiceHost.Audience, "stranger@test-project.iam.gserviceaccount.com"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_health_endpoints_need_no_token()
    {
        var client = service.CreateClient();
        var live = await client.GetAsync("/healthz/live", TestContext.Current.CancellationToken);
        var ready = await client.GetAsync("/healthz/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
#if (Database)
        // Ready means the database answers too: none runs in these tests.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
#else
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
#endif
    }

    private async Task<HttpResponseMessage> GetHelloAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/hello");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await service.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);
    }
}
