using System.Text.Json;
using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Least privilege on the project: the deployer's Cloud Run role is bound on the space's own services and
/// job, the Cloud SQL login role is narrowed to the space's instance by an IAM condition, and everything
/// up.sh and pipeline.sh grant on the project is gone after down.sh.
/// </summary>
public sealed class IamScopeTests
{
    private const string SqlInstance = App + "-prod-db";
    private const string CloudBuildAgent = "serviceAccount:service-" + FakeGcloud.ProjectNumber + "@gcp-sa-cloudbuild.iam.gserviceaccount.com";

    [Theory]
    [MemberData(nameof(All), MemberType = typeof(SpaceVariants))]
    public async Task The_deployer_holds_run_developer_on_the_spaces_services_and_job_only_and_down_removes_every_project_grant(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { ["GITHUB_REPOSITORY"] = "acme/shop" });
        using var gcloud = new FakeGcloud();

        await gcloud.UpAsync(space);
        var calls = gcloud.Calls();
        var expected = new List<string> { $"{Deployer} roles/logging.logWriter None" };
        if (iam)
        {
            var condition = $"expression=resource.name == 'projects/{ProjectId}/instances/{SqlInstance}' && resource.type == 'sqladmin.googleapis.com/Instance',title={SqlInstance} only";
            expected.Add($"serviceAccount:{App}-prod-be@{ProjectId}.iam.gserviceaccount.com roles/cloudsql.instanceUser {condition}");
            expected.Add($"serviceAccount:{App}-prod-mig@{ProjectId}.iam.gserviceaccount.com roles/cloudsql.instanceUser {condition}");
        }

        Assert.Equal(expected, ProjectBindingsWithConditions(gcloud));
        Assert.DoesNotContain(calls, c => c.Is("projects", "add-iam-policy-binding") && c.Flag("--role") == "roles/run.developer");

        // On each of the space's two services and its job, once they exist.
        var grants = calls.Where(c => c.Flag("--role") == "roles/run.developer").ToList();
        Assert.Equal(
            [$"run services add-iam-policy-binding {Backend}", $"run services add-iam-policy-binding {Frontend}", $"run jobs add-iam-policy-binding {MigrateJob}"],
            grants.Select(c => string.Join(' ', c.Words)));
        Assert.All(grants, c => Assert.Equal(Deployer, c.Flag("--member")));
        Assert.All(grants, c => Assert.Equal("us-central1", c.Flag("--region")));
        var lastDeploy = calls.ToList().FindLastIndex(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy"));
        Assert.All(grants, c => Assert.True(calls.ToList().IndexOf(c) > lastDeploy, "granted before the resource was deployed: " + c));
        Assert.Contains($"{Deployer} roles/run.developer", Bindings(gcloud, "run.services", Backend));
        Assert.Contains($"{Deployer} roles/run.developer", Bindings(gcloud, "run.services", Frontend));
        Assert.Contains($"{Deployer} roles/run.developer", Bindings(gcloud, "run.jobs", MigrateJob));

        // pipeline.sh: the first run makes the connection and stops, the second makes the link and trigger.
        for (var run = 0; run < 2; run++)
        {
            var pipeline = await gcloud.RunAsync(space.Folder, "deploy/pipeline.sh");
            Assert.True(pipeline.ExitCode == 0, pipeline.Output);
        }

        Assert.Contains($"{CloudBuildAgent} roles/secretmanager.admin None", ProjectBindingsWithConditions(gcloud));
        Assert.Contains(gcloud.Resources(), r => r.StartsWith("builds.triggers/", StringComparison.Ordinal));

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Empty(gcloud.ProjectBindings());
        Assert.DoesNotContain(gcloud.Resources(), r => r.StartsWith("run.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conditional_binding_is_removed_only_with_its_condition()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam: true);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        // The stand-in holds a removal to the binding's condition, as IAM does: without it nothing matches.
        var bare = await RunGcloudAsync(gcloud, space, "projects", "remove-iam-policy-binding", ProjectId,
            $"--member=serviceAccount:{App}-prod-be@{ProjectId}.iam.gserviceaccount.com", "--role=roles/cloudsql.instanceUser", "--condition=None");
        Assert.NotEqual(0, bare.ExitCode);
        Assert.Equal(3, gcloud.ProjectBindings().Count);

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Empty(gcloud.ProjectBindings());
    }

    [Fact]
    public async Task The_dry_run_prints_the_scoped_grants()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam: true);
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        var printed = DryRunOutput.Calls(result.StandardOutput);
        Assert.Contains(printed, c => c.Is("run", "jobs", "add-iam-policy-binding", MigrateJob) && c.Flag("--role") == "roles/run.developer");
        Assert.Equal(2, printed.Count(c => c.Is("run", "services", "add-iam-policy-binding") && c.Flag("--role") == "roles/run.developer"));
        Assert.All(printed.Where(c => c.Is("projects", "add-iam-policy-binding") && c.Flag("--role") == "roles/cloudsql.instanceUser"),
            c => Assert.StartsWith($"expression=resource.name == 'projects/{ProjectId}/instances/{SqlInstance}'", c.Flag("--condition")));
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    /// <summary>Runs the stand-in gcloud directly (found on the stand-in's PATH), as someone at a terminal would.</summary>
    private static Task<ProcessResult> RunGcloudAsync(FakeGcloud gcloud, DeploySpace space, params string[] arguments) =>
        ProcessRunner.RunAsync("bash", ["-c", "gcloud \"$@\"", "gcloud", .. arguments, $"--project={ProjectId}"], space.Folder,
            TimeSpan.FromMinutes(1), gcloud.Environment, TestContext.Current.CancellationToken);

    /// <summary>The project bindings as "member role condition" (None when unconditional).</summary>
    private static IReadOnlyList<string> ProjectBindingsWithConditions(FakeGcloud gcloud)
    {
        var file = Path.Combine(gcloud.StateFolder, "project-bindings.json");
        return File.Exists(file)
            ? JsonSerializer.Deserialize<string[][]>(File.ReadAllText(file))!.Select(b => $"{b[0]} {b[1]} {(b.Length > 2 ? b[2] : "None")}").ToList()
            : [];
    }

    private static IReadOnlyList<string> Bindings(FakeGcloud gcloud, string kind, string name) =>
        gcloud.Resource(kind, "|" + name)["bindings"]!.AsArray().Select(b => $"{b![0]} {b[1]}").ToList();
}
