using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Frontend.Backend;

/// <summary>
/// Adds <c>Authorization: Bearer &lt;Google ID token&gt;</c> to every call to the backend, unless
/// <see cref="BackendOptions.SendIdToken"/> is off (local runs).
/// </summary>
public sealed class IdTokenHandler(IdTokenSource tokens, IOptions<BackendOptions> options) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!options.Value.SendIdToken)
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
            // No token means the backend cannot be called: the same passing failure as an unreachable backend
            // (retried, then a plain "temporarily unavailable" page), not a 500.
            throw new HttpRequestException("No ID token for the backend could be had from the metadata server.", exception);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
