using DbUp;
using DbUp.Postgresql;
using Npgsql;

namespace CloudRunSpace_1.Backend.Data;

/// <summary>
/// Applies the SQL scripts under Migrations/ that the database has not seen yet (DbUp keeps the journal).
/// Run by <c>backend migrate</c>: the Cloud Run migration job before each deploy, and the local run. Runs that
/// overlap (two deploys close together) take turns under <see cref="MigrationLockKey"/>. The migrator's user owns the
/// schema; after migrating, the backend's roles (<see cref="GrantToKey"/>) get the rows of the tables and nothing else.
/// </summary>
public sealed class DatabaseMigrator(
    NpgsqlDataSource dataSource,
    IConfiguration configuration,
    ILogger<DatabaseMigrator> logger)
{
    /// <summary>
    /// Configuration key of the database roles (comma-separated) that get read/write rights on the application's
    /// tables after migrating, and on the tables later migrations make: the backend's database user(s), when the
    /// migrator signs in as a different user that owns the schema.
    /// </summary>
    public const string GrantToKey = "Database:GrantTo";

    /// <summary>
    /// Configuration key: <c>true</c> creates the <see cref="GrantToKey"/> roles that do not exist yet, as plain login
    /// roles (no superuser, database or role creation, replication or row-security bypass, no inherited rights).
    /// </summary>
    public const string CreateGranteesKey = "Database:CreateGrantees";

    /// <summary>
    /// Configuration key of the backend's connection string: its <c>Username</c> (one of the <see cref="GrantToKey"/>
    /// roles) gets its <c>Password</c>, sent as a SCRAM-SHA-256 verifier so the password itself is never in SQL text.
    /// </summary>
    public const string BackendConnectionStringKey = "Database:BackendConnectionString";

    /// <summary>The DbUp journal: the migrator's alone, never granted to the backend's roles.</summary>
    public const string JournalTable = "schemaversions";

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
        var roles = (configuration[GrantToKey] ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (roles.Length == 0)
        {
            return;
        }

        var login = BackendLogin(roles);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (bool.TryParse(configuration[CreateGranteesKey], out var createGrantees) && createGrantees)
        {
            foreach (var role in roles)
            {
                await CreateLoginRoleAsync(connection, role, cancellationToken);
            }
        }

        await RefusePrivilegedRolesAsync(connection, roles, cancellationToken);
        // A PUBLIC right to create tables in the public schema (the default before PostgreSQL 15) would be DDL for every
        // role; revoking it is a warning, not an error, where the migrator does not own the schema.
        var commands = new List<string> { "REVOKE CREATE ON SCHEMA public FROM PUBLIC" };
        foreach (var quoted in roles.Select(QuoteIdentifier))
        {
            commands.Add($"GRANT USAGE ON SCHEMA public TO {quoted}");
            commands.Add($"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}");
            commands.Add($"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}");
            commands.Add($"REVOKE ALL ON TABLE {JournalTable} FROM {quoted}");
            // Tables and sequences the migrator makes later (next migrations) get the same rights as they are made.
            commands.Add($"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}");
            commands.Add($"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}");
        }

        if (login is { } credentials)
        {
            commands.Add($"ALTER ROLE {QuoteIdentifier(credentials.Role)} PASSWORD '{ScramVerifier(credentials.Password)}'");
        }

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var command in commands)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(command));
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Granted read/write on the tables to {Roles}", string.Join(", ", roles));
        if (login is { } set)
        {
            logger.LogInformation("Set the password of {Role} from the backend's connection string", set.Role);
        }
    }

    // The backend's user and password, from its connection string; null when none is configured.
    private (string Role, string Password)? BackendLogin(string[] roles)
    {
        var connectionString = configuration[BackendConnectionStringKey];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(settings.Username) || string.IsNullOrEmpty(settings.Password))
        {
            throw new InvalidOperationException($"{BackendConnectionStringKey} has no Username or no Password");
        }

        if (!roles.Contains(settings.Username, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"{BackendConnectionStringKey} signs in as {settings.Username}, which is not one of the {GrantToKey} roles ({string.Join(", ", roles)})");
        }

        return (settings.Username, settings.Password);
    }

    private async Task CreateLoginRoleAsync(NpgsqlConnection connection, string role, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_roles WHERE rolname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
        if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! > 0)
        {
            return;
        }

        // No password yet: a role without one cannot sign in with a password at all.
        await using var create = new NpgsqlCommand(
            $"CREATE ROLE {QuoteIdentifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS",
            connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Created login role {Role}", role);
    }

    // A role that can create roles or databases, or is a member of one that can (Cloud SQL's cloudsqlsuperuser), would
    // give the request path rights beyond reading and writing rows: the migration stops instead of granting to it.
    private static async Task RefusePrivilegedRolesAsync(NpgsqlConnection connection, string[] roles, CancellationToken cancellationToken)
    {
        var privileged = new List<string>();
        foreach (var role in roles)
        {
            await using var command = new NpgsqlCommand(
                """
                SELECT count(*) FROM pg_roles r
                WHERE r.rolname = $1
                  AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
                       OR r.rolname = current_user
                       OR EXISTS (SELECT 1 FROM pg_roles g
                                  WHERE g.oid <> r.oid AND pg_has_role(r.oid, g.oid, 'MEMBER')
                                    AND (g.rolsuper OR g.rolcreaterole OR g.rolcreatedb OR g.rolreplication OR g.rolbypassrls
                                         OR g.rolname IN ('cloudsqlsuperuser', current_user))))
                """,
                connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
            if ((long)(await command.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                privileged.Add(role);
            }
        }

        if (privileged.Count > 0)
        {
            throw new InvalidOperationException(
                $"refusing to grant table rights to {string.Join(", ", privileged)}: the role can create roles or databases, is the migrator, or is a member of a role that is (e.g. cloudsqlsuperuser). The backend's role must only read and write rows.");
        }
    }

    /// <summary>
    /// The SCRAM-SHA-256 verifier PostgreSQL stores for <paramref name="password"/> (RFC 5802/7677, 4096 iterations, as
    /// libpq's PQencryptPasswordConn makes it): ALTER ROLE … PASSWORD takes it as already encrypted.
    /// </summary>
    public static string ScramVerifier(string password, byte[]? salt = null)
    {
        const int iterations = 4096;
        salt ??= System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var salted = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(
            System.Text.Encoding.UTF8.GetBytes(password), salt, iterations, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
        var clientKey = System.Security.Cryptography.HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = System.Security.Cryptography.SHA256.HashData(clientKey);
        var serverKey = System.Security.Cryptography.HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>Quotes a PostgreSQL identifier (roles of IAM users contain '@' and '.').</summary>
    public static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
