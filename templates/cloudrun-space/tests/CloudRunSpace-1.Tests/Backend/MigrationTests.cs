using CloudRunSpace_1.Backend.Data;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// The `migrate` entry: applies the scripts once, is a no-op the second time, grants access, and two runs at the
/// same moment wait for each other.
/// </summary>
public sealed class MigrationTests(FakeGoogle google, PostgresServer postgres)
{
    private const int Rounds = 5;

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

    [Fact]
    public async Task Two_migrations_started_at_the_same_moment_both_succeed_and_apply_each_script_once()
    {
        var scripts = typeof(DatabaseMigrator).Assembly.GetManifestResourceNames().Count(name => name.EndsWith(".sql", StringComparison.Ordinal));
        var overlapping = 0;
        for (var round = 1; round <= Rounds; round++)
        {
            var connectionString = await postgres.CreateDatabaseAsync();
            var logs = new CapturingLoggerProvider();
            // Two backends, each with its own data source (its own pool), as two deploys' migration jobs are.
            await using var first = new BackendHost(connectionString, google);
            await using var second = new BackendHost(connectionString, google);
            await using var firstHost = first.WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(logs)));
            await using var secondHost = second.WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(logs)));
            var migrators = new[] { firstHost, secondHost }.Select(backend => backend.Services.GetRequiredService<DatabaseMigrator>()).ToArray();
            using var start = new Barrier(migrators.Length);

            var exitCodes = await Task.WhenAll(migrators.Select(migrator => Task.Run(
                () =>
                {
                    start.SignalAndWait(TestContext.Current.CancellationToken);
                    return migrator.MigrateAsync(TestContext.Current.CancellationToken);
                },
                TestContext.Current.CancellationToken)));

            Assert.True(
                exitCodes.All(code => code == 0),
                $"round {round}: exit codes {string.Join(", ", exitCodes)}; errors logged:\n{string.Join('\n', logs.Entries.Where(entry => entry.StartsWith("Error", StringComparison.Ordinal)))}");
            Assert.Equal((long)scripts, await ScalarAsync(connectionString, "SELECT count(*) FROM schemaversions"));
            Assert.Equal((long)scripts, await ScalarAsync(connectionString, "SELECT count(DISTINCT scriptname) FROM schemaversions"));
            Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'records'"));
            Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM records"));
            overlapping += logs.Entries.Any(entry => entry.Contains("Waiting for another migration", StringComparison.Ordinal)) ? 1 : 0;
        }

        // Otherwise the runs never met, and the rounds proved nothing.
        Assert.True(overlapping > 0, $"in none of the {Rounds} rounds did one run wait for the other");
    }

    [Fact]
    public async Task A_migration_waits_while_another_holds_the_lock_longer_than_a_command_may_take()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var logs = new CapturingLoggerProvider();
        // A one-second command timeout: waiting for the lock must not count as a command that takes too long.
        await using var backend = new BackendHost(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 1 }.ConnectionString, google);
        await using var host = backend.WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(logs)));
        var migrator = host.Services.GetRequiredService<DatabaseMigrator>();
        await using var otherMigration = new NpgsqlConnection(connectionString);
        await otherMigration.OpenAsync(TestContext.Current.CancellationToken);
        await ExecuteAsync(otherMigration, $"SELECT pg_advisory_lock({DatabaseMigrator.MigrationLockKey})");

        var migration = Task.Run(() => migrator.MigrateAsync(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        await WaitUntilAsync(async () => (long)(await ScalarAsync(connectionString,
            $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))! == 1);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        Assert.False(migration.IsCompleted, "the migration did not wait for the lock");
        Assert.Equal(0L, await ScalarAsync(connectionString, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schemaversions'"));
        Assert.Contains(logs.Entries, entry => entry.Contains("Waiting for another migration", StringComparison.Ordinal));

        await ExecuteAsync(otherMigration, $"SELECT pg_advisory_unlock({DatabaseMigrator.MigrationLockKey})");
        Assert.Equal(0, await migration.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM records"));
        // Released: the next run takes the lock at once.
        Assert.Equal(0, await migrator.MigrateAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "gave up waiting after 15 s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
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
