namespace CloudRunJob_1.Work;

/// <summary>What one run of the job does: replace the example with the job's own work.</summary>
public sealed partial class JobWork(CloudRunEnvironment environment, TimeProvider time, ILogger<JobWork> logger)
{
    /// <summary>Does the work once.</summary>
    /// <returns>The process's exit code: 0 when done, anything else makes Cloud Run retry the task.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        LogStarted(environment.Job ?? "local run", started);
        try
        {
            // The example's work: a pause that stands for the real thing and stops when the job is told to.
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopped();
            return 1;
        }

        LogFinished(time.GetUtcNow() - started);
        return 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} started at {Started}")]
    private partial void LogStarted(string job, DateTimeOffset started);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job stopped before its work was done (task timeout or shutdown)")]
    private partial void LogStopped();

    [LoggerMessage(Level = LogLevel.Information, Message = "Job finished in {Duration}")]
    private partial void LogFinished(TimeSpan duration);
}
