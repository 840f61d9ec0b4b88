using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Settings changed in the env file after the first run reach the Cloud SQL instance: up.sh reads its tier,
/// availability and flags in one describe and makes one <c>sql instances patch</c> with exactly what changed
/// (all flags when one did: <c>--database-flags</c> replaces the set); the dry run prints the difference.
/// </summary>
public sealed class DatabaseReconcileTests
{
    private const string Instance = "cloudrunspace-app-prod-db";

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    private static string Flags(bool iam, int maxConnections) =>
        iam ? $"max_connections={maxConnections},cloudsql.iam_authentication=on" : $"max_connections={maxConnections}";

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task An_edited_setting_gives_one_patch_with_only_that_change_and_an_unchanged_file_none(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        var first = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(first.ExitCode == 0, first.Output);

        // Unchanged: nothing mutates, the instance is read once.
        var again = await RunAsync(gcloud, space);
        Assert.DoesNotContain(again.Calls, c => c.Mutates && c.Words.Contains("sql"));
        Assert.DoesNotContain(again.Calls, c => c.Words.Any(w => w is "create" or "deploy" or "connect" or "submit" or "add" or "set-password" or "assign-roles" or "patch"));
        Assert.Single(again.Calls, c => c.Is("sql", "instances", "describe", Instance) && c.Flag("--format")!.Contains("settings.tier"));
        Assert.Contains("has the tier, availability and flags of", again.Result.StandardError);

        // DB_TIER: one patch, --tier only, and a warning that it restarts the instance.
        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { ["DB_TIER"] = "db-custom-2-7680" });
        var tier = await RunAsync(gcloud, space);
        var tierPatch = Assert.Single(tier.Calls, c => c.Is("sql", "instances", "patch"));
        Assert.Equal(["sql", "instances", "patch", Instance, "--tier=db-custom-2-7680", "--project=my-gcp-project"], tierPatch.Argv);
        Assert.Contains("DB_TIER: db-custom-1-3840 -> db-custom-2-7680", tier.Result.StandardError);
        Assert.Contains("restarts Cloud SQL instance", tier.Result.StandardError);
        Assert.Single(tier.Calls, c => c.Mutates && c.Words.Contains("sql"));
        Assert.Equal("db-custom-2-7680", Settings(gcloud)["tier"]!.GetValue<string>());

        // DB_MAX_CONNECTIONS: one patch with every flag (the set is replaced), and nothing else.
        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { ["DB_TIER"] = "db-custom-2-7680", ["DB_MAX_CONNECTIONS"] = "200" });
        var connections = await RunAsync(gcloud, space);
        var flagsPatch = Assert.Single(connections.Calls, c => c.Is("sql", "instances", "patch"));
        Assert.Equal(["sql", "instances", "patch", Instance, $"--database-flags={Flags(iam, 200)}", "--project=my-gcp-project"], flagsPatch.Argv);
        Assert.Contains("DB_MAX_CONNECTIONS: 100 -> 200", connections.Result.StandardError);

        // DB_AVAILABILITY: one patch, --availability-type only.
        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { ["DB_TIER"] = "db-custom-2-7680", ["DB_MAX_CONNECTIONS"] = "200", ["DB_AVAILABILITY"] = "zonal" });
        var availability = await RunAsync(gcloud, space);
        var availabilityPatch = Assert.Single(availability.Calls, c => c.Is("sql", "instances", "patch"));
        Assert.Equal(["sql", "instances", "patch", Instance, "--availability-type=zonal", "--project=my-gcp-project"], availabilityPatch.Argv);
        Assert.Contains("DB_AVAILABILITY: regional -> zonal", availability.Result.StandardError);

        // And then it is settled again.
        var settled = await RunAsync(gcloud, space);
        Assert.DoesNotContain(settled.Calls, c => c.Is("sql", "instances", "patch"));
    }

    [Fact]
    public async Task Dry_run_prints_the_difference_and_the_patch_it_would_make_and_changes_nothing()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam: true);
        using var gcloud = new FakeGcloud();
        var first = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(first.ExitCode == 0, first.Output);
        var resources = gcloud.Resources();

        space.WriteEnv("prod", iam: true, settings: new Dictionary<string, string?> { ["DB_TIER"] = "db-custom-2-7680", ["DB_MAX_CONNECTIONS"] = "200" });
        var before = gcloud.Calls().Count;
        var dryRun = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        Assert.Contains("DB_TIER: db-custom-1-3840 -> db-custom-2-7680", dryRun.StandardError);
        Assert.Contains("DB_MAX_CONNECTIONS: 100 -> 200", dryRun.StandardError);
        var patch = Assert.Single(DryRunOutput.Calls(dryRun.StandardOutput), c => c.Is("sql", "instances", "patch"));
        Assert.Equal(["sql", "instances", "patch", Instance, "--tier=db-custom-2-7680", $"--database-flags={Flags(true, 200)}", "--project=my-gcp-project"], patch.Argv);
        Assert.DoesNotContain(DryRunOutput.Calls(dryRun.StandardOutput), c => c.Is("sql", "instances", "create"));
        Assert.DoesNotContain(gcloud.Calls().Skip(before), c => c.Mutates);
        Assert.Equal(resources, gcloud.Resources());
    }

    [Fact]
    public async Task A_flag_set_outside_the_env_file_is_kept_when_the_flags_are_patched()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var first = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(first.ExitCode == 0, first.Output);
        // Someone sets a flag by hand (console, gcloud).
        var patchByHand = await RunScriptAsync(gcloud, space, $"gcloud sql instances patch {Instance} --database-flags=max_connections=100,log_min_duration_statement=500 --project=my-gcp-project");
        Assert.True(patchByHand.ExitCode == 0, patchByHand.Output);

        var unchanged = await RunAsync(gcloud, space);
        Assert.DoesNotContain(unchanged.Calls, c => c.Is("sql", "instances", "patch"));

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["DB_MAX_CONNECTIONS"] = "150" });
        var edited = await RunAsync(gcloud, space);
        var patch = Assert.Single(edited.Calls, c => c.Is("sql", "instances", "patch"));
        Assert.Equal("max_connections=150,log_min_duration_statement=500", patch.Flag("--database-flags"));
    }

    [Fact]
    public async Task The_connection_budget_is_checked_against_the_new_max_connections_which_then_reaches_the_instance()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var first = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(first.ExitCode == 0, first.Output);

        // 2 x 4 x 20 + 2 + 10 = 172: too many for 100, refused before any call.
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["BACKEND_DB_POOL_SIZE"] = "20" });
        var before = gcloud.Calls().Count;
        var refused = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("DB_MAX_CONNECTIONS=100", refused.StandardError);
        Assert.Equal(before, gcloud.Calls().Count);

        // With DB_MAX_CONNECTIONS raised, the check passes and the instance gets the new limit.
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["BACKEND_DB_POOL_SIZE"] = "20", ["DB_MAX_CONNECTIONS"] = "200" });
        var raised = await RunAsync(gcloud, space);
        Assert.Equal("max_connections=200", Assert.Single(raised.Calls, c => c.Is("sql", "instances", "patch")).Flag("--database-flags"));
        Assert.Contains(Settings(gcloud)["databaseFlags"]!.AsArray(), f => (string?)f!["name"] == "max_connections" && (string?)f["value"] == "200");
    }

    private sealed record Run(ProcessResult Result, IReadOnlyList<GcloudCall> Calls);

    private static async Task<Run> RunAsync(FakeGcloud gcloud, DeploySpace space)
    {
        var before = gcloud.Calls().Count;
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(result.ExitCode == 0, result.Output);
        return new Run(result, gcloud.Calls().Skip(before).ToList());
    }

    private static Task<ProcessResult> RunScriptAsync(FakeGcloud gcloud, DeploySpace space, string command)
    {
        File.WriteAllText(Path.Combine(space.Folder, "by-hand.sh"), command + "\n");
        return gcloud.RunAsync(space.Folder, "by-hand.sh");
    }

    /// <summary>The instance's settings as the stand-in keeps them once a patch has stored them.</summary>
    private static JsonObject Settings(FakeGcloud gcloud) =>
        gcloud.Resource("sql.instances", "|" + Instance)["settings"]?.AsObject() ?? new JsonObject();
}
