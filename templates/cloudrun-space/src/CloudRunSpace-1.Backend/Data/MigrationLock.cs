using Npgsql;

namespace CloudRunSpace_1.Backend.Data;

/// <summary>
/// A session-level PostgreSQL advisory lock (<see cref="DatabaseMigrator.MigrationLockKey"/>) held on a connection of
/// its own while the migrations run, so two runs at the same moment take turns. Disposing releases it; a process that
/// dies releases it with its connection.
/// </summary>
internal sealed class MigrationLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;

    private MigrationLock(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Takes the lock, waiting (and saying so) while another run holds it.</summary>
    public static async Task<MigrationLock> AcquireAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using (var attempt = new NpgsqlCommand($"SELECT pg_try_advisory_lock({DatabaseMigrator.MigrationLockKey})", connection))
            {
                if (await attempt.ExecuteScalarAsync(cancellationToken) is true)
                {
                    return new MigrationLock(connection);
                }
            }

            logger.LogInformation(
                "Waiting for another migration to finish (it holds PostgreSQL advisory lock {LockKey})", DatabaseMigrator.MigrationLockKey);
            // As long as the other run takes: the connection's command timeout is for statements, not for this wait
            // (the migration job's own time limit still ends a wait that never ends).
            await using (var wait = new NpgsqlCommand($"SELECT pg_advisory_lock({DatabaseMigrator.MigrationLockKey})", connection) { CommandTimeout = 0 })
            {
                await wait.ExecuteNonQueryAsync(cancellationToken);
            }

            logger.LogInformation("The other migration finished; migrating");
            return new MigrationLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({DatabaseMigrator.MigrationLockKey})", _connection);
            await release.ExecuteNonQueryAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // The session may still hold the lock: its connection is closed instead of going back to the pool, which
            // ends the session and so releases the lock.
            NpgsqlConnection.ClearPool(_connection);
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
