using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;
using NJsonSchema;
using YamlDotNet.Serialization;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>cloudbuild.yaml is a valid build config and deploys with exactly the flags up.sh uses.</summary>
public sealed partial class CloudBuildConfigTests
{
    private static string CloudBuildYaml => Path.Combine(RepositoryPaths.TemplateFolder, "cloudbuild.yaml");

    private static JsonObject ConfigAsJson()
    {
        var yaml = new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(CloudBuildYaml));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(yaml);
        return JsonNode.Parse(json)!.AsObject();
    }

    [Fact]
    public async Task Cloudbuild_yaml_validates_against_the_cloudbuild_schema()
    {
        var schema = await JsonSchema.FromFileAsync(RepositoryPaths.Schema("cloudbuild.json"), TestContext.Current.CancellationToken);
        var errors = schema.Validate(ConfigAsJson().ToJsonString());
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Fact]
    public async Task Cloudbuild_yaml_passes_yamllint_with_the_space_s_own_settings()
    {
        var result = await ProcessRunner.RunAsync(
            "yamllint", ["--strict", "--config-file", ".yamllint.yaml", "cloudbuild.yaml"],
            RepositoryPaths.TemplateFolder, TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public void Cloudbuild_yaml_runs_as_the_deployer_logs_to_cloud_logging_and_builds_in_parallel()
    {
        var config = ConfigAsJson();
        Assert.Equal("projects/$PROJECT_ID/serviceAccounts/$_DEPLOYER_SA", (string?)config["serviceAccount"]);
        Assert.Equal("CLOUD_LOGGING_ONLY", (string?)config["options"]!["logging"]);
        var substitutions = config["substitutions"]!.AsObject();
        Assert.True(substitutions.ContainsKey("_ENV") && substitutions.ContainsKey("_REGION"));

        var steps = config["steps"]!.AsArray().Select(s => s!.AsObject()).ToDictionary(s => (string)s["id"]!);
        Assert.Equal(["plan"], steps["build-backend"]["waitFor"]!.AsArray().Select(w => (string)w!));
        Assert.Equal(["plan"], steps["build-frontend"]["waitFor"]!.AsArray().Select(w => (string)w!));
        foreach (var (id, step) in new[] { ("migrate", "migrate"), ("deploy-backend", "backend"), ("deploy-frontend", "frontend") })
        {
            var args = steps[id]["args"]!.AsArray().Select(a => (string)a!).ToList();
            Assert.StartsWith("gcr.io/google.com/cloudsdktool/google-cloud-cli:", (string?)steps[id]["name"]);
            Assert.Equal(["deploy/cloudbuild-step.sh", step], args.Take(2));
            Assert.Equal("$_ENV", args[args.IndexOf("--env") + 1]);
        }

        Assert.Contains("docker push", (string?)steps["build-backend"]["args"]![1]);

        // The services and jobs added in space/: one docker step builds them all, one CLI step deploys them all,
        // after the migration and before the frontend (which gets their addresses).
        Assert.StartsWith("gcr.io/cloud-builders/docker:", (string?)steps["build-added"]["name"]);
        Assert.Equal(["deploy/build-added.sh", "--plan", "/workspace/release.env"], steps["build-added"]["args"]!.AsArray().Select(a => (string)a!));
        Assert.Equal(["plan"], steps["build-added"]["waitFor"]!.AsArray().Select(w => (string)w!));
        Assert.Equal(["deploy/cloudbuild-step.sh", "deploy-added"], steps["deploy-added"]["args"]!.AsArray().Select(a => (string)a!).Take(2));
        Assert.Equal(["migrate", "build-added"], steps["deploy-added"]["waitFor"]!.AsArray().Select(w => (string)w!));
        Assert.Contains("deploy-added", steps["deploy-frontend"]["waitFor"]!.AsArray().Select(w => (string)w!));
    }

    [Fact]
    public async Task The_build_added_step_builds_and_pushes_every_added_image_at_once_and_fails_when_one_fails()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.AddEntry("nightly", DeploySpace.JobEntry("Nightly"));
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var plan = Path.Combine(space.Folder, "release.env");
        var planned = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--tag", "abc1234", "--plan", plan);
        Assert.True(planned.ExitCode == 0, planned.Output);
        // The docker steps source the plan: it stays valid bash with the added lines.
        var sourced = await ProcessRunner.RunAsync("bash", ["-c", $"set -eu; source '{plan}'; printf '%s' \"$BACKEND_IMAGE\""], space.Folder, TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(sourced.ExitCode == 0, sourced.Output);
        Assert.EndsWith("/backend:abc1234", sourced.StandardOutput.TrimEnd());

        gcloud.StubCommand("docker", 0);
        var built = await gcloud.RunAsync(space.Folder, "deploy/build-added.sh", "--plan", plan);
        Assert.True(built.ExitCode == 0, built.Output);
        const string images = "us-central1-docker.pkg.dev/my-gcp-project/cloudrunspace-app-prod-images";
        Assert.Equal(
            [$"build --file src/Nightly/Dockerfile --tag {images}/nightly:abc1234 .", $"build --file src/Orders/Dockerfile --tag {images}/orders:abc1234 .", $"push {images}/nightly:abc1234", $"push {images}/orders:abc1234"],
            gcloud.StubCalls("docker").Order(StringComparer.Ordinal));
        Assert.Empty(gcloud.Calls());

        gcloud.StubCommand("docker", 1, "denied: permission denied");
        var failed = await gcloud.RunAsync(space.Folder, "deploy/build-added.sh", "--plan", plan);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("error: the image of NIGHTLY ORDERS could not be built or pushed", failed.StandardError);

        // A space without added entries: nothing to build.
        using var plain = new DeploySpace();
        plain.WriteEnv("prod");
        var plainPlan = Path.Combine(plain.Folder, "release.env");
        Assert.Equal(0, (await gcloud.RunAsync(plain.Folder, "deploy/cloudbuild-step.sh", "plan", "--tag", "abc1234", "--plan", plainPlan)).ExitCode);
        var before = gcloud.StubCalls("docker").Count;
        var nothing = await gcloud.RunAsync(plain.Folder, "deploy/build-added.sh", "--plan", plainPlan);
        Assert.True(nothing.ExitCode == 0, nothing.Output);
        Assert.Equal(before, gcloud.StubCalls("docker").Count);
    }

    [Fact]
    public async Task The_deploy_added_step_deploys_the_added_entries_with_the_same_flags_as_up()
    {
        using var space = AddedEntryTests.SpaceWithEntries(iam: true, connector: false, database: true);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var fromUp = gcloud.Calls();

        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var plan = Path.Combine(space.Folder, "release.env");
        foreach (var step in new[] { "plan", "migrate", "backend", "deploy-added", "frontend" })
        {
            var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", step, "--env", "prod", "--region", "us-central1", "--tag", "abc1234", "--plan", plan);
            Assert.True(result.ExitCode == 0, result.Output);
        }

        var fromBuild = gcloud.Calls().Skip(fromUp.Count).ToList();
        var added = (IEnumerable<GcloudCall> calls) => calls
            .Where(c => c.Is("run", "deploy", AddedEntryTests.Orders) || c.Is("run", "jobs", "deploy", AddedEntryTests.Nightly))
            .Select(c => Regex.Replace(Regex.Replace(string.Join(' ', c.Argv), @"(--image=[^ ]+):[^ ]+", "$1"), "release-order=[^ ,]+", "release-order"))
            .ToList();
        Assert.Equal(2, added(fromUp).Count);
        Assert.Equal(added(fromUp), added(fromBuild));
        var release = File.ReadAllLines(plan).Single(l => l.StartsWith("RELEASE_ORDER=", StringComparison.Ordinal))["RELEASE_ORDER=".Length..];
        Assert.All(fromBuild.Where(c => c.Is("run", "deploy", AddedEntryTests.Orders) || c.Is("run", "jobs", "deploy", AddedEntryTests.Nightly)),
            c => Assert.Equal(release, ReleaseOrderTests.ReleaseLabel(c)));
        // Deploys only: the build neither runs the job nor touches IAM.
        Assert.DoesNotContain(fromBuild, c => c.Has("--execute-now") && c.Words.Contains(AddedEntryTests.Nightly));
        Assert.DoesNotContain(fromBuild, c => c.Words.Any(w => w.EndsWith("iam-policy-binding", StringComparison.Ordinal)));
        var frontendEnv = UpDownTests.EnvVars(Assert.Single(fromBuild, c => c.Is("run", "deploy", SpaceVariants.Frontend)));
        Assert.Equal($"https://{AddedEntryTests.Orders}-{FakeGcloud.ProjectNumber}.us-central1.run.app", frontendEnv["PrivateServices__orders__BaseUrl"]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task The_cloud_build_steps_deploy_with_the_same_flags_as_up(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        var fromUp = gcloud.Calls();

        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber; // as cloudbuild.yaml passes it
        var plan = Path.Combine(space.Folder, "release.env");
        foreach (var step in new[] { "plan", "migrate", "backend", "frontend" })
        {
            var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", step, "--env", "prod", "--region", "us-central1", "--tag", "abc1234", "--plan", plan);
            Assert.True(result.ExitCode == 0, result.Output);
        }

        var fromBuild = gcloud.Calls().Skip(fromUp.Count).ToList();
        // The same flags but for the image tag and the release's order key (both this release's own).
        var deploys = (IEnumerable<GcloudCall> calls) => calls.Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy"))
            .Select(c => string.Join(' ', c.Argv.Select(a => a.StartsWith("--image=", StringComparison.Ordinal) || a.Contains("labels=release-order=", StringComparison.Ordinal) ? a[..a.LastIndexOf(a.StartsWith("--image=", StringComparison.Ordinal) ? ':' : '=')] : a)))
            .ToList();
        Assert.Equal(3, deploys(fromUp).Count);
        // Except that up.sh alone makes the frontend public (the deployer may not set IAM policies).
        Assert.Equal(deploys(fromUp).Select(d => d.Replace(" --no-invoker-iam-check", "", StringComparison.Ordinal)), deploys(fromBuild));
        var release = File.ReadAllLines(plan).Single(l => l.StartsWith("RELEASE_ORDER=", StringComparison.Ordinal))["RELEASE_ORDER=".Length..];
        Assert.All(fromBuild.Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy")),
            c => Assert.Equal(release, ReleaseOrderTests.ReleaseLabel(c)));
        Assert.All(fromBuild.Where(c => c.Is("run", "deploy")), c => Assert.EndsWith(":abc1234", c.Flag("--image")));

        // The frontend's shared key ring in the build's deploy too: the certificate version it looked up
        // (the one up.sh made), not 'latest'; and a build only reads the certificate secret's metadata.
        const string app = "cloudrunspace-app";
        DataProtectionAssertions.AssertFrontendFlags(Assert.Single(fromBuild, c => c.Is("run", "deploy", $"{app}-prod-frontend")),
            DataProtectionAssertions.Bucket("my-gcp-project", app), DataProtectionAssertions.Secret(app), "1");
        Assert.Contains(fromBuild, c => c.Is("secrets", "versions", "describe", "latest") && c.Flag("--secret") == DataProtectionAssertions.Secret(app));
        Assert.All(fromBuild.Where(c => c.Words.Contains("secrets") || c.Words.Contains("storage")), c => Assert.False(c.Mutates, c.ToString()));
    }

    [Fact]
    public async Task The_frontend_step_stops_with_a_clear_error_before_the_certificate_secret_has_a_version()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var plan = Path.Combine(space.Folder, "release.env");
        var planned = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--env", "prod", "--tag", "abc1234", "--plan", plan);
        Assert.True(planned.ExitCode == 0, planned.Output);
        var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "frontend", "--env", "prod", "--region", "us-central1", "--tag", "abc1234", "--plan", plan);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error: secret cloudrunspace-app-prod-dp-cert has no version to pin", result.StandardError);
        Assert.Contains("deploy/up.sh", result.StandardError);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Fact]
    public async Task A_build_started_for_another_region_stops()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "backend", "--env", "prod", "--region", "europe-west1", "--tag", "abc1234");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("REGION=us-central1", result.StandardError);
        Assert.Empty(gcloud.Calls());
    }

    [Fact]
    public void Every_builder_image_is_pinned_to_a_version_and_the_cli_steps_share_one()
    {
        var steps = ConfigAsJson()["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        var images = steps.Select(s => (string)s["name"]!).ToList();
        // A digest, or a tag naming a version (digits first): never a moving tag such as latest, slim or stable.
        Assert.All(images, image => Assert.Matches(PinnedImage(), image));
        var cli = steps.Where(s => s["args"]!.AsArray().Select(a => (string)a!).FirstOrDefault() == "deploy/cloudbuild-step.sh")
            .Select(s => (string)s["name"]!).Distinct().ToList();
        Assert.Equal(["gcr.io/google.com/cloudsdktool/google-cloud-cli:578.0.0-stable"], cli);
        Assert.Equal(["gcr.io/cloud-builders/docker:24.0.9"], images.Except(cli).Distinct());
    }

    [Fact]
    public async Task The_images_list_names_the_pushed_images_so_cloud_build_records_their_provenance()
    {
        var config = ConfigAsJson();
        var listed = config["images"]!.AsArray().Select(i => (string)i!).ToList();
        Assert.Equal(["$_REGION-docker.pkg.dev/$PROJECT_ID/$_REPOSITORY/backend:$SHORT_SHA", "$_REGION-docker.pkg.dev/$PROJECT_ID/$_REPOSITORY/frontend:$SHORT_SHA"], listed);
        Assert.True(config["substitutions"]!.AsObject().ContainsKey("_REPOSITORY"));

        // With the substitutions deploy.sh passes, the same names the plan step gives the docker steps.
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var deploy = await gcloud.RunAsync(space.Folder, "deploy/deploy.sh", "--dry-run");
        Assert.True(deploy.ExitCode == 0, deploy.Output);
        var submit = Assert.Single(DryRunOutput.Calls(deploy.StandardOutput), c => c.Is("builds", "submit"));
        var substitutions = submit.Flag("--substitutions")!.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        substitutions["PROJECT_ID"] = "my-gcp-project";
        var plan = Path.Combine(space.Folder, "release.env");
        var planned = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--env", "prod", "--tag", substitutions["SHORT_SHA"], "--plan", plan,
            "--repository", substitutions["_REPOSITORY"], "--deployer", substitutions["_DEPLOYER_SA"], "--project-id", "my-gcp-project");
        Assert.True(planned.ExitCode == 0, planned.Output);
        var pushed = File.ReadAllLines(plan).Where(l => l.Contains("_IMAGE=", StringComparison.Ordinal)).Select(l => l.Split('=', 2)[1]).ToList();
        var substituted = listed.Select(i => Regex.Replace(i, @"\$(_?[A-Z_]+)", m => substitutions[m.Groups[1].Value])).ToList();
        Assert.Equal(pushed, substituted);

        // The docker steps push before the deploy steps run (images: pushes only once every step is done).
        var steps = config["steps"]!.AsArray().Select(s => s!.AsObject()).ToDictionary(s => (string)s["id"]!);
        foreach (var id in new[] { "build-backend", "build-frontend" })
        {
            Assert.Contains("docker push", (string?)steps[id]["args"]![1]);
        }
    }

    [Theory]
    [InlineData("--repository", "another-images", "_REPOSITORY")]
    [InlineData("--deployer", "someone@my-gcp-project.iam.gserviceaccount.com", "_DEPLOYER_SA")]
    [InlineData("--project-id", "another-project", "PROJECT_ID")]
    public async Task The_plan_step_stops_when_a_substitution_disagrees_with_the_environment(string option, string value, string substitution)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var plan = Path.Combine(space.Folder, "release.env");
        var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--env", "prod", "--tag", "abc1234", "--plan", plan, option, value);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error: the build's {substitution} is '{value}'", result.StandardError);
        Assert.Contains("deploy/deploy.sh", result.StandardError);
        Assert.False(File.Exists(plan));
        Assert.Empty(gcloud.Calls());
    }

    [Fact]
    public async Task Deploy_up_and_the_trigger_pass_every_substitution_the_config_uses()
    {
        var config = ConfigAsJson();
        var used = Regex.Matches(File.ReadAllText(CloudBuildYaml), @"\$(_[A-Z_]+)").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(used.Order(), config["substitutions"]!.AsObject().Select(kv => kv.Key).Order());

        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["GITHUB_REPOSITORY"] = "acme/shop" });
        using var gcloud = new FakeGcloud();
        var passed = new List<string>();
        foreach (var script in new[] { "deploy/deploy.sh", "deploy/up.sh", "deploy/pipeline.sh" })
        {
            var run = await gcloud.RunAsync(space.Folder, script, "--dry-run");
            Assert.True(run.ExitCode == 0, run.Output);
            var call = Assert.Single(DryRunOutput.Calls(run.StandardOutput), c => c.Is("builds", "submit") || c.Is("builds", "triggers", "create"));
            var keys = call.Flag("--substitutions")!.Split(',').Select(p => p.Split('=', 2)[0]).ToHashSet();
            Assert.True(used.IsSubsetOf(keys), $"{script} passes {string.Join(',', keys)}");
            Assert.Contains("_REPOSITORY=cloudrunspace-app-prod-images", call.Flag("--substitutions"));
        }
    }

    [Fact]
    public async Task Pipeline_gives_a_trigger_made_without_a_substitution_the_missing_one_and_changes_nothing_else()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["GITHUB_REPOSITORY"] = "acme/shop" });
        using var gcloud = new FakeGcloud();
        gcloud.Seed("builds.connections", "cloudrunspace-app-github"); // authorised after pipeline.sh's first run
        var first = await gcloud.RunAsync(space.Folder, "deploy/pipeline.sh");
        Assert.True(first.ExitCode == 0, first.Output);
        var trigger = gcloud.Resource("builds.triggers", "|cloudrunspace-app-prod-deploy");
        var made = Substitutions((string)trigger["flags"]!["substitutions"]!);
        Assert.Equal("cloudrunspace-app-prod-images", made["_REPOSITORY"]);

        // As a trigger an earlier version of pipeline.sh made: no _REPOSITORY.
        var folder = Path.Combine(gcloud.StateFolder, "resources", "builds.triggers");
        var file = Directory.GetFiles(folder).Single();
        var old = made.Where(kv => kv.Key != "_REPOSITORY").ToDictionary();
        trigger["flags"]!["substitutions"] = string.Join(',', old.Select(kv => $"{kv.Key}={kv.Value}"));
        File.WriteAllText(file, trigger.ToJsonString());

        var before = gcloud.Calls().Count;
        var again = await gcloud.RunAsync(space.Folder, "deploy/pipeline.sh");
        Assert.True(again.ExitCode == 0, again.Output);
        var calls = gcloud.Calls().Skip(before).ToList();
        Assert.DoesNotContain(calls, c => c.Words.Contains("create"));
        var update = Assert.Single(calls, c => c.Is("builds", "triggers", "update", "github", "cloudrunspace-app-prod-deploy"));
        Assert.Equal("us-central1", update.Flag("--region"));
        Assert.Equal(made, Substitutions((string)gcloud.Resource("builds.triggers", "|cloudrunspace-app-prod-deploy")["flags"]!["substitutions"]!));
    }

    private static Dictionary<string, string> Substitutions(string value) =>
        value.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    [GeneratedRegex(@"^[a-z0-9.-]+(/[a-z0-9._-]+)+(@sha256:[0-9a-f]{64}|:[0-9]+(\.[0-9]+)+(-[a-z0-9_.-]+)?)$")]
    private static partial Regex PinnedImage();
}
