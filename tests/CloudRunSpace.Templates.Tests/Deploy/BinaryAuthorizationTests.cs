using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// BINARY_AUTHORIZATION=true: the services and the migration job deploy with --binary-authorization=default (from
/// up.sh and from Cloud Build's steps alike), and the project's policy admits only images with the
/// built-by-cloud-build attestation; a second run changes nothing; false again admits every image. A space with added
/// entries is refused, since their images carry no attestation.
/// </summary>
public sealed class BinaryAuthorizationTests
{
    private const string Attestor = "projects/" + ProjectId + "/attestors/built-by-cloud-build";

    private static bool TouchesPolicy(GcloudCall c) => c.Is("container", "binauthz", "policy", "import") || c.Flag("--binary-authorization") is not null;

    [Fact]
    public async Task The_policy_requires_cloud_builds_attestation_once_and_is_opened_again_when_turned_off()
    {
        using var space = new DeploySpace();
        var on = new Dictionary<string, string?> { ["BINARY_AUTHORIZATION"] = "true" };
        space.WriteEnv("prod", settings: on);
        using var gcloud = new FakeGcloud();

        await gcloud.UpAsync(space);
        var calls = gcloud.Calls();
        foreach (var deploy in new[] { calls.Single(c => c.Is("run", "deploy", Backend)), calls.Single(c => c.Is("run", "deploy", Frontend)), calls.Single(c => c.Is("run", "jobs", "deploy", MigrateJob)) })
        {
            Assert.Equal("default", deploy.Flag("--binary-authorization"));
        }

        var import = Assert.Single(calls, c => c.Is("container", "binauthz", "policy", "import"));
        Assert.True(calls.ToList().IndexOf(import) > calls.ToList().FindIndex(c => c.Is("builds", "submit")), "the attestor exists only after the first build");
        Assert.Equal("REQUIRE_ATTESTATION|" + Attestor, Policy(gcloud));
        Assert.Contains(calls, c => c.Is("services", "enable") && c.Argv.Contains("binaryauthorization.googleapis.com"));
        Assert.Empty(gcloud.LeftInTempFolder());

        // Cloud Build's deploys pass the flag too.
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var before = gcloud.Calls().Count;
        var build = await gcloud.RunBuildStepAsync(space.Folder, "frontend", "--env", "prod", "--tag", "abc1234");
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.Equal("default", Assert.Single(gcloud.Since(before), c => c.Is("run", "deploy", Frontend)).Flag("--binary-authorization"));

        Assert.DoesNotContain(await gcloud.UpCallsAsync(space), c => TouchesPolicy(c) || c.Is("run", "services", "update"));

        space.WriteEnv("prod");
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.Single(gcloud.Since(before), c => c.Is("container", "binauthz", "policy", "import"));
        Assert.Equal("ALWAYS_ALLOW|", Policy(gcloud));
        Assert.Empty(gcloud.LeftInTempFolder());

        Assert.DoesNotContain(await gcloud.UpCallsAsync(space), TouchesPolicy);
    }

    [Fact]
    public async Task Services_that_exist_get_the_check_when_it_is_turned_on_and_the_dry_run_shows_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        Assert.DoesNotContain(gcloud.Calls(), TouchesPolicy);

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["BINARY_AUTHORIZATION"] = "true" });
        var before = gcloud.Calls().Count;
        var dry = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Output);
        var printed = DryRunOutput.Calls(dry.StandardOutput);
        Assert.Contains(printed, c => c.Is("container", "binauthz", "policy", "import"));
        Assert.Equal(2, printed.Count(c => c.Is("run", "services", "update") && c.Flag("--binary-authorization") == "default"));
        Assert.DoesNotContain(gcloud.Since(before), c => c.Mutates);

        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var updates = gcloud.Since(before).Where(c => c.Is("run", "services", "update")).Select(c => c.Words[3] + " " + c.Flag("--binary-authorization")).ToList();
        Assert.Equal([Backend + " default", Frontend + " default"], updates);
        Assert.Equal("REQUIRE_ATTESTATION|" + Attestor, Policy(gcloud));
    }

    [Fact]
    public async Task A_space_with_added_entries_is_refused_before_any_gcloud_call()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["BINARY_AUTHORIZATION"] = "true" });
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains("have no attestation", up.StandardError, StringComparison.Ordinal);
        Assert.Empty(gcloud.Calls());
    }

    private static string Policy(FakeGcloud gcloud)
    {
        var file = Path.Combine(gcloud.StateFolder, "binauthz-policy.json");
        var policy = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
        return policy["evaluationMode"] + "|" + string.Join(';', policy["requireAttestationsBy"]!.AsArray().Select(a => (string)a!));
    }
}
