using CloudRunSpace_1.AppHost;
using Npgsql;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run (the AppHost's <see cref="LocalPostgres"/>), removed afterwards. Each test class gets its own database.
/// Set <c>TEST_DATABASE_URL</c> to use an existing server (a superuser connection string) instead.
/// Without PostgreSQL the database tests are skipped, or fail when <c>TESTS_REQUIRE_POSTGRES=true</c> (CI).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private LocalPostgres? _cluster;

    /// <summary>
    /// A login role whose password is the fake metadata server's access token: the database user of a backend
    /// that signs in the Cloud SQL IAM way. It owns every test database.
    /// </summary>
    public const string IamUser = "backend@test-project.iam";

    /// <summary>Why the database tests cannot run here, or null when they can.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>A superuser connection string to the server's <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; private set; } = string.Empty;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("TEST_DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
            await ExecuteAsync($"DO $$ BEGIN CREATE ROLE \"{IamUser}\" LOGIN PASSWORD '{FakeGoogle.AccessToken}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            return;
        }

        if (!LocalPostgres.IsAvailable)
        {
            UnavailableReason = "No PostgreSQL server binaries (initdb, pg_ctl) found. Install them (apt-get install postgresql | " +
                "brew install postgresql@15 | winget install PostgreSQL.PostgreSQL.15), set PG_BIN to their folder, or set TEST_DATABASE_URL.";
            if (string.Equals(Environment.GetEnvironmentVariable("TESTS_REQUIRE_POSTGRES"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(UnavailableReason + " TESTS_REQUIRE_POSTGRES=true forbids skipping.");
            }

            return;
        }

        // The AppHost's own throwaway cluster, started in the background instead of as a resource.
        _cluster = LocalPostgres.Create("postgres");
        _cluster.Start();
        AdminConnectionString = _cluster.ConnectionString() + ";Pooling=false";
        await ExecuteAsync($"CREATE ROLE \"{IamUser}\" LOGIN PASSWORD '{FakeGoogle.AccessToken}'");
    }

    /// <summary>Skips the calling test when no PostgreSQL is available.</summary>
    public void SkipIfUnavailable() => Assert.SkipWhen(UnavailableReason is not null, UnavailableReason ?? string.Empty);

    /// <summary>Creates an empty database and returns a connection string to it (as the superuser).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        SkipIfUnavailable();
        var name = "test_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync($"CREATE DATABASE {name} OWNER \"{IamUser}\"");
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        _cluster?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
