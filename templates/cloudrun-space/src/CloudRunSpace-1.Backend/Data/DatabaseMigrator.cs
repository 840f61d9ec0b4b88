using DbUp;
using DbUp.Postgresql;
using Npgsql;

namespace CloudRunSpace_1.Backend.Data;

/// <summary>
/// Applies the SQL scripts under Migrations/ that the database has not seen yet (DbUp keeps the journal).
/// Run by <c>backend migrate</c>: the Cloud Run migration job before each deploy, and the local run. Runs that
/// overlap (two deploys close together) take turns under <see cref="MigrationLockKey"/>.
/// </summary>
public sealed class DatabaseMigrator(
    NpgsqlDataSource dataSource,
    IConfiguration configuration,
    ILogger<DatabaseMigrator> logger)
{
    /// <summary>
    /// Configuration key of a database role that gets read/write rights on the tables after migrating
    /// (the backend's IAM database user, when the migrator signs in as a different one).
    /// </summary>
    public const string GrantToKey = "Database:GrantTo";

    /// <summary>
    /// The key of the PostgreSQL advisory lock (<c>pg_advisory_lock</c>, session level, per database) that a run
    /// holds from before it reads DbUp's journal until after the grants: the ASCII bytes of "migrate". A run that
    /// finds it taken logs that it waits, then waits for as long as the other run takes. Anything else that changes
    /// the schema of this database can take the same lock to stay out of a migration's way.
    /// </summary>
    public const long MigrationLockKey = 0x6D696772617465;

    /// <summary>Applies pending migrations; returns the process exit code (0 when the schema is current).</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var migrationLock = await MigrationLock.AcquireAsync(dataSource, logger, cancellationToken);
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(new PostgresqlConnectionManager(dataSource))
                .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly)
                .WithTransactionPerScript()
                .LogTo(logger)
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                logger.LogError(result.Error, "Migration {Script} failed; the database keeps the scripts applied before it", result.ErrorScript?.Name);
                return 1;
            }

            logger.LogInformation("Database schema is current ({Count} scripts applied now)", result.Scripts.Count());
            await GrantAccessAsync(cancellationToken);
            return 0;
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            logger.LogError(exception, "Migration could not run: {Reason}", exception.Message);
            return 1;
        }
    }

    private async Task GrantAccessAsync(CancellationToken cancellationToken)
    {
        var role = configuration[GrantToKey];
        if (string.IsNullOrWhiteSpace(role))
        {
            return;
        }

        var quoted = QuoteIdentifier(role);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Granted read/write on the tables to {Role}", role);
    }

    /// <summary>Quotes a PostgreSQL identifier (roles of IAM users contain '@' and '.').</summary>
    public static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
