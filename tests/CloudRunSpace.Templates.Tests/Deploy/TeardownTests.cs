namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// down.sh and the protected database: it is deleted only with --delete-database and the instance name
/// (typed, or given as --delete-database=INSTANCE), never by --yes alone; then deletion protection is
/// turned off and a final backup is taken. UpDownTests runs the whole teardown for every variant.
/// </summary>
public sealed class TeardownTests
{
    private const string Instance = "cloudrunspace-app-prod-db";
    private const string ProjectId = "my-gcp-project";

    private static async Task<(DeploySpace Space, FakeGcloud Gcloud)> UpAsync(bool iam = false, bool connector = false)
    {
        var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        return (space, gcloud);
    }

    [Theory]
    [InlineData("--delete-database")]
    [InlineData("--delete-database=cloudrunspace-app-staging-db")]
    [InlineData("--delete-database=")]
    public async Task Without_the_instance_name_down_deletes_nothing_even_with_yes(string flag)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.Seed("sql.instances", Instance);

        // stdin is empty: nobody types the name.
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", flag);
        Assert.NotEqual(0, down.ExitCode);
        Assert.Contains($"error: deleting the database was not confirmed with its instance name ({Instance}); nothing was deleted", down.StandardError);
        Assert.Empty(gcloud.Calls());
        Assert.Equal([$"sql.instances/|{Instance}"], gcloud.Resources());
    }

    [Fact]
    public async Task The_names_typed_at_the_prompts_delete_the_database_with_a_final_backup()
    {
        var (space, gcloud) = await UpAsync();
        using var _ = space;
        using var __ = gcloud;
        File.WriteAllText(Path.Combine(space.Folder, "type-and-down.sh"), $"printf '%s\\n%s\\n' {ProjectId} {Instance} | bash deploy/down.sh --delete-database\n");

        var down = await gcloud.RunAsync(space.Folder, "type-and-down.sh");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Contains("Type the project id to confirm:", down.StandardError);
        Assert.Contains($"This deletes Cloud SQL instance {Instance} and all its data; a final backup is kept 30 days.", down.StandardError);
        Assert.Equal([$"sql.backups/|final-{Instance}"], gcloud.Resources());
    }

    [Fact]
    public async Task A_database_deleted_by_name_leaves_its_final_backup_and_says_how_to_list_and_restore_it()
    {
        var (space, gcloud) = await UpAsync(iam: true, connector: true);
        using var _ = space;
        using var __ = gcloud;
        var before = gcloud.Calls().Count;

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", $"--delete-database={Instance}");
        Assert.True(down.ExitCode == 0, down.Output);
        var calls = gcloud.Calls().Skip(before).ToList();
        var unprotect = Assert.Single(calls, c => c.Is("sql", "instances", "patch", Instance));
        Assert.Equal(["sql", "instances", "patch", Instance, "--no-deletion-protection", $"--project={ProjectId}"], unprotect.Argv);
        var delete = Assert.Single(calls, c => c.Is("sql", "instances", "delete", Instance));
        Assert.True(delete.Has("--enable-final-backup"), delete.ToString());
        Assert.Equal("30", delete.Flag("--final-backup-retention-days"));
        Assert.Equal("Final backup of cloudrunspace-app prod, taken by deploy/down.sh", delete.Flag("--final-backup-description"));
        Assert.True(calls.IndexOf(unprotect) < calls.IndexOf(delete));

        var backup = gcloud.Resource("sql.backups", $"|final-{Instance}");
        Assert.Equal("30", (string?)backup["flags"]!["final-backup-retention-days"]);
        Assert.Equal([$"sql.backups/|final-{Instance}"], gcloud.Resources());
        Assert.Contains($"kept: the final backup of {Instance}, for 30 days", down.StandardError);
        Assert.Contains($"gcloud sql backups list --filter=instance:{Instance} --project={ProjectId}", down.StandardError);
        Assert.Contains($"gcloud sql backups restore BACKUP_NAME --restore-instance=NEW_INSTANCE --project={ProjectId}", down.StandardError);
    }

    [Theory]
    [InlineData("sql instances patch")]
    [InlineData("sql instances delete")]
    public async Task An_instance_that_could_not_be_deleted_keeps_its_secrets_and_network_and_down_fails(string failing)
    {
        var (space, gcloud) = await UpAsync();
        using var _ = space;
        using var __ = gcloud;
        gcloud.Environment["FAKE_GCLOUD_FAIL"] = failing;

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", $"--delete-database={Instance}");
        Assert.NotEqual(0, down.ExitCode);
        Assert.Contains("could not be deleted", down.StandardError);
        Assert.Contains($"kept: Cloud SQL instance {Instance} with its data", down.StandardError);
        Assert.DoesNotContain("kept: the final backup", down.StandardError);
        var left = gcloud.Resources();
        Assert.Contains($"sql.instances/|{Instance}", left);
        Assert.Contains($"secrets/|{Instance}-backend", left);
        Assert.Contains($"secrets/|{Instance}-migrator", left);
        Assert.Contains("compute.networks/|cloudrunspace-app-prod-net", left);
        Assert.Contains("compute.addresses/|cloudrunspace-app-prod-psa", left);
        Assert.DoesNotContain(left, r => r.StartsWith("sql.backups/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_final_backup_keeps_the_days_of_the_env_file()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["DB_FINAL_BACKUP_DAYS"] = "90" });
        using var gcloud = new FakeGcloud();
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", $"--delete-database={Instance}", "--dry-run");
        Assert.True(down.ExitCode == 0, down.Output);
        var printed = DryRunOutput.Calls(down.StandardOutput);
        Assert.Equal("90", Assert.Single(printed, c => c.Is("sql", "instances", "delete", Instance)).Flag("--final-backup-retention-days"));
        Assert.Single(printed, c => c.Is("sql", "instances", "patch", Instance) && c.Has("--no-deletion-protection"));
        Assert.Contains(printed, c => c.Is("compute", "networks", "delete"));
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Yes_alone_keeps_the_database_and_what_it_needs_and_says_so(bool iam, bool connector)
    {
        var (space, gcloud) = await UpAsync(iam, connector);
        using var _ = space;
        using var __ = gcloud;
        var before = gcloud.Calls().Count;

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        var calls = gcloud.Calls().Skip(before).ToList();
        Assert.DoesNotContain(calls, c => c.Is("sql", "instances", "patch") || c.Is("sql", "instances", "delete"));
        Assert.DoesNotContain(calls, c => c.Is("compute", "networks", "peerings", "delete") || c.Is("compute", "addresses", "delete") || c.Is("compute", "networks", "delete"));
        // Everything else is gone: the subnet, router, NAT and connector are not the instance's.
        Assert.Contains(calls, c => c.Is("compute", "networks", "subnets", "delete"));
        Assert.Contains(calls, c => c.Is("compute", "routers", "delete"));
        Assert.Equal(connector, calls.Any(c => c.Is("compute", "networks", "vpc-access", "connectors", "delete")));
        Assert.DoesNotContain(gcloud.Resources(), r => r.StartsWith("run.", StringComparison.Ordinal) || r.StartsWith("iam.", StringComparison.Ordinal)
            || r.StartsWith("storage.", StringComparison.Ordinal) || r.StartsWith("compute.routers", StringComparison.Ordinal) || r.StartsWith("compute.networks.subnets", StringComparison.Ordinal));
        Assert.Contains($"kept: Cloud SQL instance {Instance} with its data (deletion protection is on)", down.StandardError);
        Assert.Contains("network cloudrunspace-app-prod-net, private services range cloudrunspace-app-prod-psa and the service networking peering", down.StandardError);
        Assert.Contains($"--delete-database={Instance}", down.StandardError);

        // A second up.sh finds the database as it was and carries on.
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        Assert.DoesNotContain(gcloud.Calls().Skip(before + calls.Count), c => c.Is("sql", "instances", "create") || c.Is("sql", "users", "set-password"));
    }

    [Fact]
    public async Task The_stand_in_refuses_to_delete_a_protected_instance_like_the_api()
    {
        using var space = new DeploySpace();
        using var gcloud = new FakeGcloud();
        var project = $"--project={ProjectId}";
        File.WriteAllText(Path.Combine(space.Folder, "create.sh"), $"gcloud sql instances create {Instance} --tier=db-custom-1-3840 --deletion-protection {project}\n");
        File.WriteAllText(Path.Combine(space.Folder, "delete.sh"), $"gcloud sql instances delete {Instance} --quiet {project}\n");
        File.WriteAllText(Path.Combine(space.Folder, "unprotect.sh"), $"gcloud sql instances patch {Instance} --no-deletion-protection {project}\n");
        Assert.Equal(0, (await gcloud.RunAsync(space.Folder, "create.sh")).ExitCode);

        var refused = await gcloud.RunAsync(space.Folder, "delete.sh");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("The instance is protected", refused.StandardError);
        Assert.Equal([$"sql.instances/|{Instance}"], gcloud.Resources());

        Assert.Equal(0, (await gcloud.RunAsync(space.Folder, "unprotect.sh")).ExitCode);
        var deleted = await gcloud.RunAsync(space.Folder, "delete.sh");
        Assert.True(deleted.ExitCode == 0, deleted.Output);
        Assert.Empty(gcloud.Resources()); // no final backup unless asked for
    }

    [Fact]
    public async Task Dry_run_keeps_the_database_unless_told_to_delete_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", "--dry-run");
        Assert.True(down.ExitCode == 0, down.Output);
        var printed = DryRunOutput.Calls(down.StandardOutput);
        Assert.DoesNotContain(printed, c => c.Is("sql", "instances", "delete") || c.Is("sql", "instances", "patch") || c.Is("compute", "networks", "delete"));
        Assert.Contains(printed, c => c.Is("secrets", "delete", "cloudrunspace-app-prod-db-ca"));
        Assert.DoesNotContain(printed, c => c.Is("secrets", "delete", "cloudrunspace-app-prod-db-backend") || c.Is("secrets", "delete", "cloudrunspace-app-prod-db-migrator"));
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }
}
