using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Releases in order: every deploy labels the migration job and the services with its release's order key
/// (when its plan step ran), and a build step that finds a newer release already there deploys nothing and
/// succeeds. So of two pushes close together the newer commit ends up serving, whichever build finishes last,
/// and the migration job is never replaced by an older one.
/// </summary>
public sealed class ReleaseOrderTests
{
    private const string App = "cloudrunspace-app";
    private static readonly string[] Steps = ["migrate", "backend", "frontend"];

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    /// <summary>The release order key a deploy call labels its job or service with, or null.</summary>
    public static string? ReleaseLabel(GcloudCall call) =>
        (call.Flag("--update-labels") ?? call.Flag("--labels"))?.Split(',').Select(p => p.Split('=', 2))
            .Where(p => p[0] == "release-order").Select(p => p[1]).SingleOrDefault();

    private sealed record Release(string Tag, string Plan, string Order);

    private static async Task<Release> PlanAsync(FakeGcloud gcloud, DeploySpace space, string tag)
    {
        var plan = Path.Combine(space.Folder, $"release-{tag}.env");
        var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--env", "prod", "--region", "us-central1", "--tag", tag, "--plan", plan);
        Assert.True(result.ExitCode == 0, result.Output);
        var order = File.ReadAllLines(plan).Single(l => l.StartsWith("RELEASE_ORDER=", StringComparison.Ordinal))["RELEASE_ORDER=".Length..];
        Assert.Matches(@"^[0-9]{8}t[0-9]{15}z-" + tag + "$", order);
        return new Release(tag, plan, order);
    }

    private static async Task<ProcessResult> StepAsync(FakeGcloud gcloud, DeploySpace space, Release release, string step) =>
        await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", step, "--env", "prod", "--region", "us-central1", "--tag", release.Tag, "--plan", release.Plan);

    private static async Task<(DeploySpace Space, FakeGcloud Gcloud)> UpAsync(bool iam, bool connector)
    {
        var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber; // as cloudbuild.yaml passes it
        return (space, gcloud);
    }

    /// <summary>Image tag and release label of the job and both services.</summary>
    private static IReadOnlyList<(string Image, string? Label)> Deployed(FakeGcloud gcloud) =>
        new[] { ("run.jobs", $"|{App}-prod-migrate"), ("run.services", $"|{App}-prod-backend"), ("run.services", $"|{App}-prod-frontend") }
            .Select(r => gcloud.Resource(r.Item1, r.Item2))
            .Select(r => (((string)r["flags"]!["image"]!).Split(':')[^1], (string?)r["labels"]?["release-order"]))
            .ToList();

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task An_older_release_that_reaches_its_deploys_after_a_newer_one_skips_them_and_succeeds(bool iam, bool connector)
    {
        var (space, gcloud) = await UpAsync(iam, connector);
        using var _ = space;
        using var __ = gcloud;
        var older = await PlanAsync(gcloud, space, "aaaaaaa");
        var newer = await PlanAsync(gcloud, space, "bbbbbbb");
        Assert.True(string.CompareOrdinal(older.Order, newer.Order) < 0, $"{older.Order} !< {newer.Order}");

        // The newer build finishes its rollout first.
        foreach (var step in Steps)
        {
            var result = await StepAsync(gcloud, space, newer, step);
            Assert.True(result.ExitCode == 0, result.Output);
        }

        Assert.All(Deployed(gcloud), d => Assert.Equal(("bbbbbbb", newer.Order), d));

        // Then the older one reaches its steps: each reads the labels, says why it stops, deploys nothing.
        foreach (var step in Steps)
        {
            var before = gcloud.Calls().Count;
            var result = await StepAsync(gcloud, space, older, step);
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains($"release {older.Order} is older than release {newer.Order}", result.StandardError);
            Assert.Contains($"skipping {step} and the rest of this rollout", result.StandardError);
            var calls = gcloud.Calls().Skip(before).ToList();
            Assert.NotEmpty(calls);
            Assert.All(calls, c => Assert.False(c.Mutates, c.ToString()));
            Assert.All(calls, c => Assert.Equal("value(metadata.labels.release-order)", c.Flag("--format")));
        }

        Assert.All(Deployed(gcloud), d => Assert.Equal(("bbbbbbb", newer.Order), d));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_newer_release_deploys_over_an_older_one_and_labels_what_it_deploys(bool iam, bool connector)
    {
        var (space, gcloud) = await UpAsync(iam, connector);
        using var _ = space;
        using var __ = gcloud;
        // up.sh's own first release is labelled too, and older than anything planned after it.
        var first = Deployed(gcloud);
        Assert.All(first, d => Assert.Matches(@"^[0-9]{8}t[0-9]{15}z-manual-[0-9]{14}$", d.Label));

        foreach (var release in new[] { await PlanAsync(gcloud, space, "aaaaaaa"), await PlanAsync(gcloud, space, "bbbbbbb") })
        {
            var before = gcloud.Calls().Count;
            foreach (var step in Steps)
            {
                var result = await StepAsync(gcloud, space, release, step);
                Assert.True(result.ExitCode == 0, result.Output);
                Assert.DoesNotContain("skipping", result.StandardError);
            }

            var deploys = gcloud.Calls().Skip(before).Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy")).ToList();
            Assert.Equal(3, deploys.Count);
            Assert.All(deploys, c => Assert.Equal(release.Order, ReleaseLabel(c)));
            // `run jobs deploy` only has --labels (it adds); `run deploy` --update-labels keeps other labels.
            Assert.NotNull(Assert.Single(deploys, c => c.Is("run", "jobs", "deploy")).Flag("--labels"));
            Assert.All(deploys.Where(c => c.Is("run", "deploy")), c => Assert.NotNull(c.Flag("--update-labels")));
            Assert.All(Deployed(gcloud), d => Assert.Equal((release.Tag, release.Order), d));
        }
    }

    [Fact]
    public async Task Once_a_newer_release_has_deployed_the_migration_job_an_older_one_stops_before_its_services()
    {
        var (space, gcloud) = await UpAsync(iam: false, connector: false);
        using var _ = space;
        using var __ = gcloud;
        var servicesBefore = Deployed(gcloud).Skip(1).ToList();
        var older = await PlanAsync(gcloud, space, "aaaaaaa");
        var newer = await PlanAsync(gcloud, space, "bbbbbbb");

        // Older migrates first, then the newer migrates: the job is the newer's.
        Assert.Equal(0, (await StepAsync(gcloud, space, older, "migrate")).ExitCode);
        Assert.Equal(0, (await StepAsync(gcloud, space, newer, "migrate")).ExitCode);
        // The older one's services would be replaced by the newer's anyway: it deploys neither.
        foreach (var step in new[] { "backend", "frontend" })
        {
            var result = await StepAsync(gcloud, space, older, step);
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains($"skipping {step}", result.StandardError);
        }

        Assert.Equal(servicesBefore, Deployed(gcloud).Skip(1));
        var jobDeploys = gcloud.Calls().Where(c => c.Is("run", "jobs", "deploy")).Select(ReleaseLabel).ToList();
        Assert.Equal(newer.Order, jobDeploys[^1]);
        // The job's image never went back: each job deploy carries a newer release than the one before.
        Assert.Equal(jobDeploys.Order(StringComparer.Ordinal), jobDeploys);
    }

    [Fact]
    public async Task A_step_without_its_plan_stops_before_any_change()
    {
        var (space, gcloud) = await UpAsync(iam: false, connector: false);
        using var _ = space;
        using var __ = gcloud;
        var before = gcloud.Calls().Count;
        var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "backend", "--env", "prod", "--tag", "abc1234", "--plan", Path.Combine(space.Folder, "missing.env"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error: no plan at", result.StandardError);
        Assert.Empty(gcloud.Calls().Skip(before));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Dry_run_prints_the_label_reads_and_the_labelled_deploys(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(up.ExitCode == 0, up.Output);
        var deploys = DryRunOutput.Calls(up.StandardOutput).Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy")).ToList();
        Assert.Equal(3, deploys.Count);
        Assert.All(deploys, c => Assert.Matches(@"^[0-9]{8}t[0-9]{15}z-manual-[0-9]{14}$", ReleaseLabel(c)));

        foreach (var step in Steps)
        {
            var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", step, "--env", "prod", "--tag", "abc1234", "--dry-run");
            Assert.True(result.ExitCode == 0, result.Output);
            var printed = DryRunOutput.Calls(result.StandardOutput);
            var reads = printed.TakeWhile(c => !c.Mutates).Where(c => c.Flag("--format") == "value(metadata.labels.release-order)").Select(c => string.Join(' ', c.Words)).ToList();
            Assert.Equal([$"run jobs describe {App}-prod-migrate", $"run services describe {App}-prod-backend", $"run services describe {App}-prod-frontend"], reads);
            var deploy = Assert.Single(printed, c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy"));
            Assert.Equal("RELEASE_ORDER", ReleaseLabel(deploy));
        }

        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }
}
