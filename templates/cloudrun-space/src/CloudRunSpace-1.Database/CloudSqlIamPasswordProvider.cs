using CloudRunSpace_1.ServiceDefaults;
using Google.Apis.Auth.OAuth2;

namespace CloudRunSpace_1.Database;

/// <summary>
/// Cloud SQL IAM database authentication: the password of each new physical connection is an OAuth access
/// token of the signed-in service's or job's own account (scope <c>sqlservice.login</c>). No database password exists anywhere.
/// </summary>
public sealed partial class CloudSqlIamPasswordProvider
{
    // One scoped credential for the process from Application Default Credentials: each CreateScoped call
    // would start its own token cache.
    private readonly RetryingAsyncLazy<ITokenAccess> _credential = new(async cancellationToken =>
        (await GoogleCredential.GetApplicationDefaultAsync(cancellationToken)).CreateScoped(Scope));

    /// <summary>Returns a valid access token to use as the database password.</summary>
    public async ValueTask<string> GetPasswordAsync(CancellationToken cancellationToken)
    {
        var credential = await _credential.GetValueAsync(cancellationToken);
        return await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
    }
}
