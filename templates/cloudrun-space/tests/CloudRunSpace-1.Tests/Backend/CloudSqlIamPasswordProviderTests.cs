using CloudRunSpace_1.Database;
using CloudRunSpace_1.Tests.Fakes;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// Cloud SQL IAM login: the password is the service account's access token from the metadata server. Here the
/// database role's password is the fake metadata server's token, so a connection opens only if the provider
/// supplied it.
/// </summary>
public sealed class CloudSqlIamPasswordProviderTests(PostgresServer postgres)
{
    [Fact]
    public async Task Connections_sign_in_with_the_access_token_as_password()
    {
        var withoutPassword = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync())
        {
            Username = PostgresServer.IamUser,
            Password = null,
        }.ConnectionString;
        var builder = new NpgsqlSlimDataSourceBuilder(withoutPassword);
        new CloudSqlIamPasswordProvider().ConfigureDataSource(builder);
        await using var dataSource = builder.Build();
        await using var command = dataSource.CreateCommand("SELECT current_user");

        Assert.Equal(PostgresServer.IamUser, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));

        await using var noProvider = NpgsqlDataSource.Create(withoutPassword);
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await noProvider.OpenConnectionAsync(TestContext.Current.CancellationToken));
    }
}
