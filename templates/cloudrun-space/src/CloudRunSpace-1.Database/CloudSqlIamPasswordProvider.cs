using CloudRunSpace_1.ServiceDefaults;
using Google.Apis.Auth.OAuth2;
using Npgsql;

namespace CloudRunSpace_1.Database;

/// <summary>
/// Cloud SQL IAM database authentication: the password of each new physical connection is an OAuth access
/// token of the signed-in service's or job's own account (scope <c>sqlservice.login</c>). No database password exists anywhere.
/// </summary>
public sealed class CloudSqlIamPasswordProvider
{
    /// <summary>The OAuth scope Cloud SQL accepts for IAM database login.</summary>
    public const string Scope = "https://www.googleapis.com/auth/sqlservice.login";

    // One scoped credential for the process from Application Default Credentials: each CreateScoped call
    // would start its own token cache.
    private readonly RetryingAsyncLazy<ITokenAccess> _credential = new(async cancellationToken =>
        (await GoogleCredential.GetApplicationDefaultAsync(cancellationToken)).CreateScoped(Scope));

    /// <summary>Makes the data source ask for a fresh token whenever it opens a physical connection.</summary>
    public void ConfigureDataSource(NpgsqlSlimDataSourceBuilder builder) =>
        // Per connection, not periodic: the periodic provider can hand out a token that expired since the last
        // refresh. The token is cached and renewed before expiry, so this is cheap.
        builder.UsePasswordProvider(
            passwordProvider: _ => SignInPasswordAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult(),
            passwordProviderAsync: (_, cancellationToken) => SignInPasswordAsync(cancellationToken));

    // Without a token the database cannot be signed in to now: said as an NpgsqlException, so a request gets the quick
    // 503 of a database outage (DatabaseUnavailableExceptionHandler) rather than a 500.
    private async ValueTask<string> SignInPasswordAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await GetPasswordAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new NpgsqlException("No access token to sign in to the database with: the metadata server did not answer", e);
        }
    }

    /// <summary>Returns a valid access token to use as the database password.</summary>
    public async ValueTask<string> GetPasswordAsync(CancellationToken cancellationToken)
    {
        var credential = await _credential.GetValueAsync(cancellationToken);
        return await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
    }
}
