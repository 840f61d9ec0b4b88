using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace CloudRunService_1.Tests;

/// <summary>With the database out of reach, a caller gets a quick 503 to retry later, not a hang or a 500.</summary>
public sealed class DatabaseOutageTests(ServiceHost service) : IClassFixture<ServiceHost>
{
    [Fact]
    public async Task An_invoker_s_call_that_needs_the_database_gets_503_with_retry_after_within_seconds()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/records/count");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", service.Issuer.IssueIdToken(ServiceHost.Audience, FakeGoogleServer.ServiceAccountEmail));
        var watch = Stopwatch.StartNew();

        using var response = await service.CreateClient().SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter is not null, "a 503 without Retry-After");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the 503 took {watch.Elapsed.TotalSeconds:0.0} s");
    }
}
