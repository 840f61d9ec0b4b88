using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The frontend is public through its invoker IAM check turned off (never an allUsers binding), set by
/// up.sh only: on the first deploy, and on a later run only when the service does not have it. Cloud
/// Build's deploys pass neither flag and change no IAM. Where the organisation enforces
/// constraints/run.managed.requireInvokerIam, up.sh stops with what to ask for.
/// </summary>
public sealed class PublicAccessTests
{
    private const string Constraint = "run.managed.requireInvokerIam";

    [Theory]
    [MemberData(nameof(All), MemberType = typeof(SpaceVariants))]
    public async Task Up_makes_the_frontend_public_once_and_cloud_build_keeps_it_without_touching_iam(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();

        await gcloud.UpAsync(space);
        var first = gcloud.Calls();
        var deploy = Assert.Single(first, c => c.Is("run", "deploy", Frontend));
        Assert.True(deploy.Has("--no-invoker-iam-check"), deploy.ToString());
        Assert.DoesNotContain(first, c => c.Argv.Any(a => a.Contains("allUsers", StringComparison.Ordinal) || a == "--allow-unauthenticated"));
        Assert.DoesNotContain(first, c => c.Is("run", "services", "update"));
        Assert.True(IsPublic(gcloud));

        var beforeBuild = gcloud.Calls().Count;
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var build = await gcloud.RunBuildStepAsync(space.Folder, "frontend", "--env", "prod", "--region", "us-central1", "--tag", "abc1234");
        Assert.True(build.ExitCode == 0, build.Output);
        var fromBuild = gcloud.Since(beforeBuild);
        var cdDeploy = Assert.Single(fromBuild, c => c.Is("run", "deploy", Frontend));
        Assert.DoesNotContain(cdDeploy.Argv, a => a.Contains("invoker-iam-check", StringComparison.Ordinal) || a.Contains("allow-unauthenticated", StringComparison.Ordinal));
        Assert.DoesNotContain(fromBuild, c => c.Words.Any(w => w.Contains("iam-policy", StringComparison.Ordinal)));
        Assert.True(IsPublic(gcloud), "a deploy without the flag keeps the service public");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task An_organisation_that_forbids_it_gets_a_plain_message_and_the_rest_of_the_space(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        gcloud.Environment["FAKE_GCLOUD_ENFORCED_CONSTRAINTS"] = Constraint;

        var refused = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, refused.ExitCode);
        AssertRefusalMessage(refused.StandardError);
        // The frontend was deployed again without the flag: it exists, private; the backend is up.
        var deploys = gcloud.Calls().Where(c => c.Is("run", "deploy", Frontend)).ToList();
        Assert.Equal(2, deploys.Count);
        Assert.True(deploys[0].Has("--no-invoker-iam-check"));
        Assert.False(deploys[1].Has("--no-invoker-iam-check"));
        Assert.Contains($"run.services/|{Frontend}", gcloud.Resources());
        Assert.Contains($"run.services/|{Backend}", gcloud.Resources());
        Assert.False(IsPublic(gcloud));

        // Still forbidden: the next run builds nothing again, tries the one update, and says the same.
        var before = gcloud.Calls().Count;
        var again = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, again.ExitCode);
        AssertRefusalMessage(again.StandardError);
        var mutations = gcloud.Since(before).Where(c => c.Is("run", "services", "update") || c.Is("run", "deploy") || c.Is("builds", "submit")).ToList();
        Assert.Equal(["run services update " + Frontend + " --region=us-central1 --no-invoker-iam-check --project=" + ProjectId], mutations.Select(c => string.Join(' ', c.Argv)));

        // The administrator grants the exception: the next run turns the check off with that one update.
        gcloud.Environment["FAKE_GCLOUD_ENFORCED_CONSTRAINTS"] = "";
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.Single(gcloud.Since(before), c => c.Is("run", "services", "update", Frontend) && c.Has("--no-invoker-iam-check"));
        Assert.True(IsPublic(gcloud));
    }

    [Fact]
    public async Task The_dry_run_shows_the_flag_on_the_frontends_first_deploy_only()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        var printed = DryRunOutput.Calls(result.StandardOutput);
        Assert.True(Assert.Single(printed, c => c.Is("run", "deploy", Frontend)).Has("--no-invoker-iam-check"));
        Assert.False(Assert.Single(printed, c => c.Is("run", "deploy", Backend)).Has("--no-invoker-iam-check"));
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    private static void AssertRefusalMessage(string stderr)
    {
        Assert.Contains($"error: the organisation policy constraint constraints/{Constraint} refused to make the frontend public", stderr);
        Assert.Contains("Everything else of the space is up", stderr);
        Assert.Contains($"Ask your organisation policy administrator for an exception of constraints/{Constraint} for\nproject {ProjectId}", stderr);
        Assert.Contains($"name: projects/{ProjectId}/policies/{Constraint}", stderr);
        Assert.Contains("- enforce: false", stderr);
        Assert.Contains("gcloud org-policies set-policy POLICY_FILE", stderr);
    }

    /// <summary>Whether the stand-in's frontend has its invoker IAM check off, as a describe shows it.</summary>
    private static bool IsPublic(FakeGcloud gcloud) =>
        gcloud.Resource("run.services", "|" + Frontend)["invoker_iam_disabled"]?.GetValue<bool>() == true;
}
