using CloudRunSpace_1.Backend.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// A database set up the way Cloud SQL sets one up, on the test run's PostgreSQL: a <c>cloudsqlsuperuser</c> role
/// (CREATEROLE, CREATEDB, no SUPERUSER) owns the database, and the migrator is a built-in user as
/// <c>gcloud sql users create</c> makes one: a member of <c>cloudsqlsuperuser</c> with CREATEROLE and CREATEDB of its
/// own (role attributes are not inherited). The backend's roles are named per database, since roles belong to the
/// whole server.
/// </summary>
public sealed class CloudSqlLikeDatabase
{
    /// <summary>Cloud SQL's administrative role of its built-in users.</summary>
    public const string SuperuserRole = "cloudsqlsuperuser";

    private readonly PostgresServer _postgres;

    private CloudSqlLikeDatabase(PostgresServer postgres, string name, string suffix)
    {
        _postgres = postgres;
        Name = name;
        Migrator = "migrator_" + suffix;
        MigratorPassword = "migrator-" + Guid.NewGuid().ToString("N");
        BackendUsers = ["app_a_" + suffix, "app_b_" + suffix];
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>The migrator's user (a built-in user: in <see cref="SuperuserRole"/>).</summary>
    public string Migrator { get; }

    /// <summary>The migrator's password.</summary>
    public string MigratorPassword { get; }

    /// <summary>The two alternating backend users, as the deploy scripts name them (<c>_a</c>, <c>_b</c>).</summary>
    public IReadOnlyList<string> BackendUsers { get; }

    /// <summary>The migrator's connection string.</summary>
    public string MigratorConnectionString => As(Migrator, MigratorPassword);

    /// <summary>A superuser connection string to this database.</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder(_postgres.AdminConnectionString) { Database = Name }.ConnectionString;

    /// <summary>Makes the roles and the database (skips the test without PostgreSQL).</summary>
    public static async Task<CloudSqlLikeDatabase> CreateAsync(PostgresServer postgres)
    {
        postgres.SkipIfUnavailable();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var database = new CloudSqlLikeDatabase(postgres, "cloudsql_" + suffix, suffix);
        await ExecuteAsync(postgres.AdminConnectionString,
            $"DO $$ BEGIN CREATE ROLE {SuperuserRole} NOLOGIN CREATEROLE CREATEDB; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        await ExecuteAsync(postgres.AdminConnectionString,
            $"CREATE ROLE {database.Migrator} LOGIN CREATEROLE CREATEDB IN ROLE {SuperuserRole} PASSWORD '{database.MigratorPassword}'");
        await ExecuteAsync(postgres.AdminConnectionString, $"CREATE DATABASE {database.Name} OWNER {SuperuserRole}");
        return database;
    }

    /// <summary>A connection string to this database as <paramref name="user"/> (no pooling unless asked).</summary>
    public string As(string user, string? password, bool pooling = false) =>
        new NpgsqlConnectionStringBuilder(_postgres.AdminConnectionString)
        {
            Database = Name,
            Username = user,
            Password = password,
            Pooling = pooling,
        }.ConnectionString;

    /// <summary>
    /// Runs the migrator as the migration job runs it in password mode: signed in as <see cref="Migrator"/>, granting
    /// to both backend users, creating them if missing, and giving <paramref name="backendUser"/> its password.
    /// Returns the exit code.
    /// </summary>
    public Task<int> MigrateAsync(string? backendUser, string? backendPassword, bool createGrantees = true, IEnumerable<string>? grantTo = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [DatabaseMigrator.GrantToKey] = string.Join(',', grantTo ?? BackendUsers),
            [DatabaseMigrator.CreateGranteesKey] = createGrantees ? "true" : "false",
        };
        if (backendUser is not null)
        {
            settings[DatabaseMigrator.BackendConnectionStringKey] = As(backendUser, backendPassword) + ";Maximum Pool Size=10";
        }

        return MigrateAsync(settings);
    }

    /// <summary>Runs the migrator signed in as <see cref="Migrator"/> with the given configuration.</summary>
    public async Task<int> MigrateAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var dataSource = NpgsqlDataSource.Create(MigratorConnectionString);
        var migrator = new DatabaseMigrator(dataSource, configuration, NullLogger<DatabaseMigrator>.Instance);
        return await migrator.MigrateAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Runs one statement.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Runs one query and returns its first value.</summary>
    public static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }
}
