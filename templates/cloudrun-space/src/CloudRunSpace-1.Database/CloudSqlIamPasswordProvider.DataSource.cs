using Npgsql;

namespace CloudRunSpace_1.Database;

// How the data source uses the provider: the same whichever way the token is had (JIT or Native AOT).
public sealed partial class CloudSqlIamPasswordProvider
{
    /// <summary>The OAuth scope Cloud SQL accepts for IAM database login.</summary>
    public const string Scope = "https://www.googleapis.com/auth/sqlservice.login";

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
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // InvalidOperationException: Application Default Credentials found no credential (no metadata server).
            throw new NpgsqlException("No access token to sign in to the database with: the metadata server did not answer", e);
        }
    }
}
