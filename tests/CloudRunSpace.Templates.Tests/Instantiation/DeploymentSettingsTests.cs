using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>--project-id and --region end up in the deployment environment files.</summary>
public sealed class DeploymentSettingsTests(TemplateHive hive)
{
    private const string ProjectId = "acme-shop-prod";
    private const string Region = "europe-west1";

    [Fact]
    public async Task The_project_id_and_region_land_in_the_environment_file_and_no_default_is_left()
    {
        if (!TemplateSource.Files().Any(f => f.StartsWith("deploy/env/", StringComparison.Ordinal) && f.EndsWith(".env", StringComparison.Ordinal)))
        {
            Assert.Skip("The template has no deploy/env/*.env file yet (deploy/ is being written).");
        }

        var space = await hive.SharedInstantiationAsync("Acme.Shop", "--project-id", ProjectId, "--region", Region);
        Assert.True(space.ExitCode == 0, space.Output);

        var envFiles = GeneratedFiles.TextFiles(space)
            .Where(f => f.Path.StartsWith("deploy/env/", StringComparison.Ordinal) && f.Path.EndsWith(".env", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(envFiles);

        Assert.Contains(envFiles, f => f.Text.Contains(ProjectId, StringComparison.Ordinal) && f.Text.Contains(Region, StringComparison.Ordinal));
        // The defaults are replaced wherever they appear, so none may be left behind.
        Assert.DoesNotContain(envFiles, f => f.Text.Contains("my-gcp-project", StringComparison.Ordinal));
        Assert.DoesNotContain(envFiles, f => f.Text.Contains("us-central1", StringComparison.Ordinal));
    }
}
