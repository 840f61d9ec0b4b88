using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;
using NJsonSchema;
using YamlDotNet.Serialization;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>cloudbuild.yaml is a valid build config and deploys with exactly the flags up.sh uses.</summary>
public sealed class CloudBuildConfigTests
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
            Assert.StartsWith("gcr.io/google.com/cloudsdktool/cloud-sdk", (string?)steps[id]["name"]);
            Assert.Equal(["deploy/cloudbuild-step.sh", step], args.Take(2));
            Assert.Equal("$_ENV", args[args.IndexOf("--env") + 1]);
        }

        Assert.Contains("docker push", (string?)steps["build-backend"]["args"]![1]);
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
        foreach (var step in new[] { "migrate", "backend", "frontend" })
        {
            var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", step, "--env", "prod", "--region", "us-central1", "--tag", "abc1234");
            Assert.True(result.ExitCode == 0, result.Output);
        }

        var fromBuild = gcloud.Calls().Skip(fromUp.Count).ToList();
        var deploys = (IEnumerable<GcloudCall> calls) => calls.Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy"))
            .Select(c => string.Join(' ', c.Argv.Select(a => a.StartsWith("--image=", StringComparison.Ordinal) ? a[..a.LastIndexOf(':')] : a)))
            .ToList();
        Assert.Equal(3, deploys(fromUp).Count);
        // Except that up.sh alone makes the frontend public (the deployer may not set IAM policies).
        Assert.Equal(deploys(fromUp).Select(d => d.Replace(" --no-invoker-iam-check", "", StringComparison.Ordinal)), deploys(fromBuild));
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
        var result = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "frontend", "--env", "prod", "--region", "us-central1", "--tag", "abc1234");
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
}
