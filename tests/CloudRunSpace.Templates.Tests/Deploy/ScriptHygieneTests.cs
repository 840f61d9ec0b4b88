using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Every deploy script and run-local.sh is shellcheck-clean, and every deploy script has --help and --dry-run. The one
/// place these are checked: the scripts carry no template conditionals (only deploy/env/prod.env has #if blocks, which
/// <see cref="DeploySpace"/> resolves for each db-auth × egress pair), so the template's own scripts are every
/// variant's scripts, and checking them once here covers all variants.
/// </summary>
public sealed class ScriptHygieneTests
{
    /// <summary>Arguments each script needs besides --dry-run to do its work.</summary>
    private static readonly Dictionary<string, string[]> DryRunArguments = new()
    {
        ["deploy/cloudbuild-step.sh"] = ["backend", "--tag", "abc1234"],
        ["deploy/down.sh"] = ["--yes"],
        ["deploy/traffic.sh"] = ["canary", "backend", "--image-tag", "abc1234"],
    };

    public static TheoryData<string> Scripts => new(DeploySpace.Scripts);

    /// <summary>The scripts that call gcloud: all but deploy/build-added.sh, Cloud Build's docker step (no gcloud there).</summary>
    public static TheoryData<string> GcloudScripts => new(DeploySpace.Scripts.Where(s => s != "deploy/build-added.sh"));

    [Fact]
    public async Task Every_script_and_library_passes_shellcheck()
    {
        var deploy = Path.Combine(RepositoryPaths.TemplateFolder, "deploy");
        var files = Directory.GetFiles(deploy, "*.sh", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(deploy, f)).Order().ToList();
        Assert.Contains("lib/services.sh", files);
        // Run from deploy/: the scripts' `# shellcheck source=lib/…` directives are relative to it.
        files.Add("../run-local.sh");
        var result = await ProcessRunner.RunAsync("shellcheck", ["--external-sources", "--severity=style", .. files], deploy, TimeSpan.FromMinutes(2), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Help_prints_usage_and_calls_nothing(string script)
    {
        using var space = new DeploySpace();
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, script, "--help");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.StartsWith("Usage: " + script, result.StandardOutput);
        Assert.Contains("--dry-run", result.StandardOutput);
        Assert.Empty(gcloud.Calls());
    }

    [Theory]
    [MemberData(nameof(GcloudScripts))]
    public async Task Dry_run_prints_gcloud_calls_and_makes_none(string script)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["GITHUB_REPOSITORY"] = "acme/shop" });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, script, [.. DryRunArguments.GetValueOrDefault(script, []), "--dry-run"]);
        Assert.True(result.ExitCode == 0, result.Output);
        var printed = DryRunOutput.Calls(result.StandardOutput);
        Assert.NotEmpty(printed);
        Assert.All(printed, c => Assert.Equal("my-gcp-project", c.Flag("--project")));
        // A dry run reads (the Cloud SQL instance's settings, to show what would change) but changes nothing.
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Theory]
    [MemberData(nameof(SpaceVariants.All), MemberType = typeof(SpaceVariants))]
    public async Task Up_dry_run_enables_the_connector_api_only_for_egress_connector_and_prints_no_password(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { ["GITHUB_REPOSITORY"] = "acme/shop" });
        using var gcloud = new FakeGcloud();

        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
        // The Serverless VPC Access connector is the one resource only one egress mode provisions.
        Assert.Equal(connector, result.StandardOutput.Contains("vpcaccess.googleapis.com", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"Password=(?![<$])[^;\s""']+", result.Output);
    }

    [Fact]
    public async Task Build_added_dry_run_prints_the_docker_calls_and_makes_none()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.StubCommand("docker", 0);
        var plan = Path.Combine(space.Folder, "release.env");
        var planned = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--tag", "abc1234", "--plan", plan);
        Assert.True(planned.ExitCode == 0, planned.Output);

        var result = await gcloud.RunAsync(space.Folder, "deploy/build-added.sh", "--plan", plan, "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("DRY-RUN: docker build --file src/Orders/Dockerfile --tag us-central1-docker.pkg.dev/my-gcp-project/cloudrunspace-app-prod-images/orders:abc1234 .", result.Output);
        Assert.Contains("DRY-RUN: docker push us-central1-docker.pkg.dev/my-gcp-project/cloudrunspace-app-prod-images/orders:abc1234", result.Output);
        Assert.Empty(gcloud.StubCalls("docker"));
        Assert.Empty(gcloud.Calls());
    }
}
