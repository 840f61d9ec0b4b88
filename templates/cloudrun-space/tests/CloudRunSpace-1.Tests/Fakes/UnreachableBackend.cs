namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>A backend that is down: every call fails as a refused connection does.</summary>
public sealed class UnreachableBackend : HttpMessageHandler
{
    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        throw new HttpRequestException("Connection refused (test)");
}
