using CloudRunJob_1.Work;
using Microsoft.Extensions.Logging.Abstractions;

namespace CloudRunJob_1.Tests;

/// <summary>One run of the job does its work and says how it went in its exit code.</summary>
public sealed class JobWorkTests
{
    private static readonly CloudRunEnvironment AsCloudRunJob = new(Service: null, Revision: null, Port: null, ProjectId: "test-project") { Job = "cloudrun-entry" };

    [Fact]
    public async Task A_run_does_its_work_and_exits_0()
    {
        var work = new JobWork(AsCloudRunJob, TimeProvider.System, NullLogger<JobWork>.Instance);

        Assert.Equal(0, await work.RunAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_run_stopped_before_its_work_is_done_exits_non_zero()
    {
        var work = new JobWork(AsCloudRunJob, TimeProvider.System, NullLogger<JobWork>.Instance);

        Assert.NotEqual(0, await work.RunAsync(new CancellationToken(canceled: true)));
    }
}
