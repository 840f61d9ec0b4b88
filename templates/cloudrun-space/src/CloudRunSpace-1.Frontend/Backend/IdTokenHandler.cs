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

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
