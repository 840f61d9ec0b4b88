using Npgsql;

namespace CloudRunJob_1.Work;

/// <summary>What one run of the job does: replace the example with the job's own work.</summary>
public sealed partial class JobWork(NpgsqlDataSource database, CloudRunEnvironment environment, TimeProvider time, ILogger<JobWork> logger)
{
    /// <summary>Does the work once.</summary>
    /// <returns>The process's exit code: 0 when done, anything else makes Cloud Run retry the task.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        LogStarted(environment.Job ?? "local run", started);
        try
        {
            // The example's work: it reads the schema the space's migrations made (the backend's Migrations/Scripts,
            // run by the migrate job before every deploy).
            await using var command = database.CreateCommand("SELECT count(*) FROM records");
            var records = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            LogRecords(records);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopped();
            return 1;
        }
        catch (NpgsqlException e)
        {
            LogDatabaseFailed(e);
            return 1;
        }

        LogFinished(time.GetUtcNow() - started);
        return 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} started at {Started}")]
    private partial void LogStarted(string job, DateTimeOffset started);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database holds {Records} records")]
    private partial void LogRecords(long records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job stopped before its work was done (task timeout or shutdown)")]
    private partial void LogStopped();

    [LoggerMessage(Level = LogLevel.Error, Message = "The database could not be read; Cloud Run retries the task")]
    private partial void LogDatabaseFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job finished in {Duration}")]
    private partial void LogFinished(TimeSpan duration);
}
