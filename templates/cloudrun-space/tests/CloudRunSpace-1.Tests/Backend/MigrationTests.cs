using CloudRunSpace_1.Backend.Data;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>The `migrate` entry: applies the scripts once, is a no-op the second time, grants access.</summary>
public sealed class MigrationTests(FakeGoogle google, PostgresServer postgres)
{
    [Fact]
    public async Task Migrating_twice_applies_the_scripts_once()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var backend = new BackendHost(connectionString, google);

        await backend.MigrateAsync();
        await backend.MigrateAsync();

        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM records"));
        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM schemaversions"));
    }

    [Fact]
    public async Task The_grant_to_role_can_read_and_write_the_tables()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var role = "backend-" + Guid.NewGuid().ToString("N")[..8] + "@test-project.iam";
        await ExecuteAsync(postgres.AdminConnectionString, $"CREATE ROLE {DatabaseMigrator.QuoteIdentifier(role)} LOGIN PASSWORD 'role-password-for-tests'");
        await using var backend = new BackendHost(connectionString, google, new Dictionary<string, string?> { [DatabaseMigrator.GrantToKey] = role });

        await backend.MigrateAsync();

        var asRole = new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = "role-password-for-tests" }.ConnectionString;
        await ExecuteAsync(asRole, "INSERT INTO records (title) VALUES ('written by the granted role')");
        Assert.Equal(2L, await ScalarAsync(asRole, "SELECT count(*) FROM records"));
    }

    [Fact]
    public async Task Migrating_an_unreachable_database_exits_non_zero()
    {
        postgres.SkipIfUnavailable();
        await using var backend = new BackendHost("Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=2", google);

        var exitCode = await backend.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(0, exitCode);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
