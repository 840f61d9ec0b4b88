using CloudRunJob_1.Work;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CloudRunJob_1.Tests;

/// <summary>One run of the job says how it went in its exit code; a database out of reach makes Cloud Run retry it.</summary>
public sealed class JobWorkTests
{
    // Nobody listens on port 1 of this machine: these tests run without a database (the space's AppHost runs the job
    // against its own).
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=space;Username=app;Timeout=2";

    private static readonly CloudRunEnvironment AsCloudRunJob = new(Service: null, Revision: null, Port: null, ProjectId: "test-project") { Job = "cloudrun-entry" };

    [Fact]
    public async Task A_run_that_cannot_reach_the_database_exits_non_zero()
    {
        await using var database = NpgsqlDataSource.Create(UnreachableDatabase);
        var work = new JobWork(database, AsCloudRunJob, TimeProvider.System, NullLogger<JobWork>.Instance);

        Assert.Equal(1, await work.RunAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_run_stopped_before_its_work_is_done_exits_non_zero()
    {
        await using var database = NpgsqlDataSource.Create(UnreachableDatabase);
        var work = new JobWork(database, AsCloudRunJob, TimeProvider.System, NullLogger<JobWork>.Instance);

        Assert.NotEqual(0, await work.RunAsync(new CancellationToken(canceled: true)));
    }
}
