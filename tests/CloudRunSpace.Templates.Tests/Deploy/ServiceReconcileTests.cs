using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// A service setting edited in the env file after the services exist reaches them on the next up.sh:
/// one describe per service, and one `gcloud run services update` with exactly the changed flags.
/// </summary>
public sealed class ServiceReconcileTests
{
    [Theory]
    [MemberData(nameof(All), MemberType = typeof(SpaceVariants))]
    public async Task A_second_run_changes_nothing_and_an_edited_setting_is_the_one_update(bool iam, bool connector)
    {
        await AssertOneEditAsync(iam, connector, "BACKEND_MEMORY", "1Gi", Backend, "--memory=1Gi", "BACKEND_MEMORY: 512Mi -> 1Gi");
    }

    [Fact]
    public async Task Every_setting_maps_to_its_flag_one_update_per_service_and_a_size_written_otherwise_is_no_change()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        var edits = new Dictionary<string, string?>
        {
            ["BACKEND_CONCURRENCY"] = "20", ["BACKEND_CPU"] = "2", ["BACKEND_MAX_INSTANCES"] = "3",
            ["FRONTEND_MEMORY"] = "1024Mi", ["FRONTEND_MIN_INSTANCES"] = "1", ["FRONTEND_MAX_INSTANCES"] = "20",
        };
        space.WriteEnv("prod", settings: edits);
        var before = gcloud.Calls().Count;
        var edited = await gcloud.UpAsync(space);
        var updates = gcloud.Since(before).Where(c => c.Is("run", "services", "update")).Select(c => string.Join(' ', c.Argv)).ToList();
        Assert.Equal(
        [
            $"run services update {Backend} --region=us-central1 --concurrency=20 --cpu=2 --max-instances=3 --project={ProjectId}",
            $"run services update {Frontend} --region=us-central1 --memory=1024Mi --min-instances=1 --max-instances=20 --project={ProjectId}",
        ], updates);
        foreach (var line in new[] { "BACKEND_CONCURRENCY: 40 -> 20", "BACKEND_CPU: 1 -> 2", "BACKEND_MAX_INSTANCES: 4 -> 3", "FRONTEND_MEMORY: 512Mi -> 1024Mi", "FRONTEND_MIN_INSTANCES: 0 -> 1", "FRONTEND_MAX_INSTANCES: 10 -> 20" })
        {
            Assert.Contains($"==> {line}\n", edited.StandardError);
        }

        // 1024Mi and 1Gi are one size (and the stand-in writes 2 CPUs as 2000m, as Cloud Run may): nothing to change.
        edits["FRONTEND_MEMORY"] = "1Gi";
        space.WriteEnv("prod", settings: edits);
        before = gcloud.Calls().Count;
        var same = await gcloud.UpAsync(space);
        Assert.DoesNotContain(gcloud.Since(before), c => c.Is("run", "services", "update"));
        Assert.DoesNotContain(" -> ", same.StandardError);
    }

    private static async Task AssertOneEditAsync(bool iam, bool connector, string setting, string value, string service, string flag, string printed)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        // Second run: each service is read once, and nothing is deployed or updated.
        var before = gcloud.Calls().Count;
        var second = await gcloud.UpAsync(space);
        var secondCalls = gcloud.Since(before);
        Assert.Equal(1, secondCalls.Count(c => c.Is("run", "services", "describe", Backend) && c.Flag("--format")!.StartsWith("value[", StringComparison.Ordinal)));
        Assert.Equal(1, secondCalls.Count(c => c.Is("run", "services", "describe", Frontend) && c.Flag("--format")!.StartsWith("value[", StringComparison.Ordinal)));
        Assert.DoesNotContain(secondCalls, c => c.Is("run", "services", "update") || c.Is("run", "deploy") || c.Is("run", "jobs", "deploy") || c.Is("builds", "submit"));
        Assert.DoesNotContain(" -> ", second.StandardError);
        var unchangedMutations = secondCalls.Where(c => c.Mutates).Select(c => c.ToString()).ToList();

        // After one edit: the dry run shows the difference and prints the one update, changing nothing.
        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { [setting] = value });
        before = gcloud.Calls().Count;
        var dryRun = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        Assert.Contains($"==> {printed}\n", dryRun.StandardError);
        var printedUpdate = Assert.Single(DryRunOutput.Calls(dryRun.StandardOutput), c => c.Is("run", "services", "update", service));
        Assert.Equal(["run", "services", "update", service, "--region=us-central1", flag, $"--project={ProjectId}"], printedUpdate.Argv);
        Assert.DoesNotContain(DryRunOutput.Calls(dryRun.StandardOutput), c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy"));
        Assert.DoesNotContain(gcloud.Since(before), c => c.Mutates);

        // The run itself: the same idempotent calls, plus exactly the one update with the one flag.
        before = gcloud.Calls().Count;
        var edited = await gcloud.UpAsync(space);
        var editedMutations = gcloud.Since(before).Where(c => c.Mutates).ToList();
        var update = Assert.Single(editedMutations, c => !unchangedMutations.Contains(c.ToString()));
        Assert.Equal(["run", "services", "update", service, "--region=us-central1", flag, $"--project={ProjectId}"], update.Argv);
        Assert.Equal(unchangedMutations, editedMutations.Where(c => c != update).Select(c => c.ToString()));
        Assert.Contains($"==> {printed}\n", edited.StandardError);
    }
}
