using CloudRunJob_1.Work;

namespace CloudRunJob_1.Tests;

/// <summary>The job's own entry point, as Cloud Run starts it: its host resolves the work and the run's exit code comes back.</summary>
public sealed class JobProgramTests
{
    [Fact]
    public async Task The_program_runs_its_work_once_and_returns_the_work_s_exit_code()
    {
        var entryPoint = typeof(JobWork).Assembly.EntryPoint ?? throw new InvalidOperationException("the job has no entry point");
#if (Database)
        // A database nobody listens for (port 1 of this machine), as ConnectionStrings__Database is given on Cloud Run.
        Environment.SetEnvironmentVariable("ConnectionStrings__Database", "Host=127.0.0.1;Port=1;Database=space;Username=app;Timeout=2");
        // With Cloud SQL IAM login the password comes from the metadata server: a closed port of this machine here, so the
        // test never looks for Google's real one (169.254.169.254).
        Environment.SetEnvironmentVariable("GCE_METADATA_HOST", "127.0.0.1:1");
#endif

        var result = entryPoint.Invoke(null, [Array.Empty<string>()]);
        var exitCode = result is Task<int> run ? await run : (int)result!;

#if (Database)
        // No database runs in these tests: the work says so with 1, which makes Cloud Run retry the task.
        Assert.Equal(1, exitCode);
#else
        Assert.Equal(0, exitCode);
#endif
    }
}
