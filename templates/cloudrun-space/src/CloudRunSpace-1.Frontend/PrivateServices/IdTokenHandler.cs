using System.Net.Http.Headers;

namespace CloudRunSpace_1.Frontend.PrivateServices;

/// <summary>
/// Adds <c>Authorization: Bearer &lt;Google ID token&gt;</c> to every call to one private service, unless
/// <see cref="PrivateServiceOptions.SendIdToken"/> is off (local runs).
/// </summary>
public sealed class IdTokenHandler(IdTokenSource tokens, PrivateServiceOptions options) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!options.SendIdToken)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        string token;
        try
        {
            token = await tokens.GetTokenAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not (OperationCanceledException or HttpRequestException))
        {
            // No token means the service cannot be called: the same passing failure as an unreachable service
            // (retried, then a plain "temporarily unavailable" page), not a 500.
            throw new HttpRequestException("No ID token for the private service could be had from the metadata server.", exception);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
