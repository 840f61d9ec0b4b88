using System.Text.RegularExpressions;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Builds run as the deployer, which may read nothing of the project's default source bucket: up.sh makes
/// a staging bucket for build sources that only the deployer reads, every <c>builds submit</c> stages the
/// source there, and down.sh removes it. The stand-in fails a build whose account cannot read its source,
/// as Cloud Build does.
/// </summary>
public sealed partial class BuildSourceTests
{
    private const string App = "cloudrunspace-app";
    private const string ProjectId = "my-gcp-project";
    private const string Bucket = $"{ProjectId}-{App}-prod-build-sources";
    private const string Deployer = $"{App}-prod-deploy@{ProjectId}.iam.gserviceaccount.com";

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Up_makes_a_private_staging_bucket_only_the_deployer_reads_every_build_uses_it_and_down_removes_it(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        var calls = gcloud.Calls().ToList();
        var create = Assert.Single(calls, c => c.Is("storage", "buckets", "create", $"gs://{Bucket}"));
        Assert.Equal("us-central1", create.Flag("--location"));
        Assert.True(create.Has("--uniform-bucket-level-access") && create.Has("--public-access-prevention"), create.ToString());
        var bucket = gcloud.Resource("storage.buckets", $"|gs://{Bucket}");
        var rule = Assert.Single(bucket["lifecycle"]!["rule"]!.AsArray())!;
        Assert.Equal("Delete", (string?)rule["action"]!["type"]);
        Assert.Equal(7, (int)rule["condition"]!["age"]!);
        Assert.Equal([$"serviceAccount:{Deployer} roles/storage.objectViewer"], DataProtectionAssertions.Bindings(bucket));

        var submit = Assert.Single(calls, c => c.Is("builds", "submit"));
        AssertStagedInTheBucket(submit);
        var binding = calls.FindIndex(c => c.Is("storage", "buckets", "add-iam-policy-binding", $"gs://{Bucket}"));
        Assert.InRange(binding, 0, calls.IndexOf(submit));

        // A second run makes nothing new and binds nothing more.
        var resources = gcloud.Resources();
        var second = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(second.ExitCode == 0, second.Output);
        var secondCalls = gcloud.Calls().Skip(calls.Count).ToList();
        Assert.DoesNotContain(secondCalls, c => c.Is("storage", "buckets", "create") || c.Is("builds", "submit"));
        Assert.Contains(secondCalls, c => c.Is("storage", "buckets", "describe", $"gs://{Bucket}"));
        Assert.Equal(resources, gcloud.Resources());
        Assert.Equal([$"serviceAccount:{Deployer} roles/storage.objectViewer"], DataProtectionAssertions.Bindings(gcloud.Resource("storage.buckets", $"|gs://{Bucket}")));

        // deploy.sh stages its source there too (and rolls out).
        var before = gcloud.Calls().Count;
        var deploy = await gcloud.RunAsync(space.Folder, "deploy/deploy.sh");
        Assert.True(deploy.ExitCode == 0, deploy.Output);
        var deploySubmit = Assert.Single(gcloud.Calls().Skip(before), c => c.Is("builds", "submit"));
        AssertStagedInTheBucket(deploySubmit);
        Assert.Contains("_ROLLOUT=true", deploySubmit.Flag("--substitutions"));

        before = gcloud.Calls().Count;
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Contains(gcloud.Calls().Skip(before), c => c.Is("storage", "rm", $"gs://{Bucket}/") && c.Has("--recursive"));
        Assert.DoesNotContain(gcloud.Resources(), r => r.StartsWith("storage.buckets/", StringComparison.Ordinal));
    }

    private static void AssertStagedInTheBucket(GcloudCall submit)
    {
        Assert.Equal($"gs://{Bucket}/source", submit.Flag("--gcs-source-staging-dir"));
        Assert.Equal($"projects/{ProjectId}/serviceAccounts/{Deployer}", submit.Flag("--service-account"));
    }

    [Fact]
    public async Task A_build_run_as_an_account_that_cannot_read_its_staged_source_fails_in_the_stand_in()
    {
        using var space = new DeploySpace();
        using var gcloud = new FakeGcloud();
        // What up.sh and deploy.sh did before: the project's default staging bucket, which the deployer cannot read.
        File.WriteAllText(Path.Combine(space.Folder, "submit.sh"),
            $"gcloud builds submit . --config=cloudbuild.yaml --service-account=projects/{ProjectId}/serviceAccounts/{Deployer} --project={ProjectId}\n");
        var result = await gcloud.RunAsync(space.Folder, "submit.sh");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("storage.objects.get", result.StandardError);
        Assert.Contains($"gs://{ProjectId}_cloudbuild", result.StandardError);
    }

    [Fact]
    public async Task Deploy_stops_before_uploading_anything_when_the_staging_bucket_is_missing()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var deploy = await gcloud.RunAsync(space.Folder, "deploy/deploy.sh");
        Assert.NotEqual(0, deploy.ExitCode);
        Assert.Contains($"error: the build source bucket {Bucket} does not exist", deploy.StandardError);
        Assert.Contains("deploy/up.sh", deploy.StandardError);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Dry_run_prints_the_bucket_its_binding_the_staged_builds_and_the_teardown(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(up.ExitCode == 0, up.Output);
        var printed = DryRunOutput.Calls(up.StandardOutput);
        var create = Assert.Single(printed, c => c.Is("storage", "buckets", "create", $"gs://{Bucket}"));
        Assert.EndsWith("deploy/lib/build-sources-lifecycle.json", create.Flag("--lifecycle-file"));
        Assert.Contains(printed, c => c.Is("storage", "buckets", "add-iam-policy-binding", $"gs://{Bucket}")
            && c.Flag("--member") == $"serviceAccount:{Deployer}" && c.Flag("--role") == "roles/storage.objectViewer");
        AssertStagedInTheBucket(Assert.Single(printed, c => c.Is("builds", "submit")));

        var deploy = await gcloud.RunAsync(space.Folder, "deploy/deploy.sh", "--dry-run");
        Assert.True(deploy.ExitCode == 0, deploy.Output);
        AssertStagedInTheBucket(Assert.Single(DryRunOutput.Calls(deploy.StandardOutput), c => c.Is("builds", "submit")));

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", "--dry-run");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Contains(DryRunOutput.Calls(down.StandardOutput), c => c.Is("storage", "rm", $"gs://{Bucket}/") && c.Has("--recursive"));
        // A dry run may read what exists (to show what would change), never change it.
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a-very-long-application-name-that-goes-on-and-on-beyond-every-limit")]
    public async Task The_bucket_name_is_global_valid_stable_and_its_own(string app)
    {
        var name = await BucketNameAsync(app, "staging");
        Assert.True(name.Length is >= 3 and <= 63 && BucketName().IsMatch(name), name);
        Assert.StartsWith("my-gcp-project-", name);
        Assert.EndsWith("-build-sources", name);
        Assert.Equal(name, await BucketNameAsync(app, "staging"));
        Assert.NotEqual(name, await BucketNameAsync(app, "prod"));
    }

    private static async Task<string> BucketNameAsync(string app, string environment)
    {
        using var space = new DeploySpace();
        space.WriteEnv(environment, settings: new Dictionary<string, string?> { ["APP"] = app });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--env", environment, "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        var creates = DryRunOutput.Calls(result.StandardOutput).Where(c => c.Is("storage", "buckets", "create")).Select(c => c.Words[^1]["gs://".Length..]).ToList();
        Assert.Equal(2, creates.Distinct().Count());
        return Assert.Single(creates, n => n.EndsWith("-build-sources", StringComparison.Ordinal));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
