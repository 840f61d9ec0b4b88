using CloudRunSpace_1.ServiceDefaults;
using Google.Apis.Auth.OAuth2;

namespace CloudRunSpace_1.Frontend.PrivateServices;

/// <summary>
/// Google ID tokens for one private service's audience, from Application Default Credentials (the metadata server on
/// Cloud Run). One <see cref="OidcToken"/> for the process: it caches the token and refreshes it before it
/// expires, so the metadata server is asked once per token lifetime, not once per request.
/// On Cloud Run (and wherever <c>GCE_METADATA_HOST</c> names a metadata server) the credential is the metadata
/// server's, asked for directly: Application Default Credentials
/// first probe whether the process runs on Google Cloud and Google.Apis.Auth keeps that answer for the whole
/// process, so a metadata server unreachable at that moment would leave the frontend without tokens until
/// restarted. A failed attempt here is retried on the next call.
/// </summary>
public sealed class IdTokenSource
{
    private readonly RetryingAsyncLazy<OidcToken> _token;

    /// <summary>Creates the source; nothing is fetched until the first call (no work on start-up).</summary>
    public IdTokenSource(string audience, CloudRunEnvironment environment)
    {
        // Locally, GCE_METADATA_HOST names the local metadata server: ask it directly too, so that a gcloud login on
        // the developer's machine (which cannot mint ID tokens) is not picked up instead.
        var useMetadataServer = (environment.IsCloudRun || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GCE_METADATA_HOST")))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS"));
        _token = new RetryingAsyncLazy<OidcToken>(async cancellationToken =>
        {
            var credential = useMetadataServer
                ? new ComputeCredential()
                : (IOidcTokenProvider)await GoogleCredential.GetApplicationDefaultAsync(cancellationToken);
            return await credential.GetOidcTokenAsync(
                OidcTokenOptions.FromTargetAudience(audience).WithTokenFormat(OidcTokenFormat.Full), cancellationToken);
        });
    }

    /// <summary>Returns a valid ID token (a JWT) for the service.</summary>
    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        var token = await _token.GetValueAsync(cancellationToken);
        // Despite its name, this returns the ID token.
        return await token.GetAccessTokenAsync(cancellationToken);
    }
}
