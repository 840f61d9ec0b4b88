namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The Cloud SQL instance is created with its safety net (deletion protection, point-in-time recovery,
/// retained backups, a maintenance window) and the availability the env file asks for, regional by default;
/// the new settings are checked like the others.
/// </summary>
public sealed class DatabaseSafetyTests
{
    private const string Instance = "cloudrunspace-app-prod-db";

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task The_instance_is_created_protected_with_point_in_time_recovery_backups_a_maintenance_window_and_regional_availability(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        var create = Assert.Single(gcloud.Calls(), c => c.Is("sql", "instances", "create", Instance));
        Assert.True(create.Has("--deletion-protection"), create.ToString());
        Assert.True(create.Has("--enable-point-in-time-recovery"), create.ToString());
        Assert.DoesNotContain("--no-backup", create.Argv);
        Assert.Equal("7", create.Flag("--retained-backups-count"));
        Assert.Equal("7", create.Flag("--retained-transaction-log-days"));
        Assert.Equal("03:00", create.Flag("--backup-start-time"));
        Assert.Equal("SUN", create.Flag("--maintenance-window-day"));
        Assert.Equal("4", create.Flag("--maintenance-window-hour"));
        Assert.Equal("regional", create.Flag("--availability-type"));
        Assert.Equal(iam ? "max_connections=100,cloudsql.iam_authentication=on" : "max_connections=100", create.Flag("--database-flags"));

        // The dry run prints the same create.
        using var fresh = new FakeGcloud();
        var dryRun = await fresh.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        var printed = Assert.Single(DryRunOutput.Calls(dryRun.StandardOutput), c => c.Is("sql", "instances", "create", Instance));
        Assert.Equal(create.Argv, printed.Argv);
    }

    [Fact]
    public async Task The_env_file_sets_availability_backups_and_the_maintenance_window()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?>
        {
            ["DB_AVAILABILITY"] = "zonal",
            ["DB_RETAINED_BACKUPS"] = "30",
            ["DB_LOG_RETENTION_DAYS"] = "3",
            ["DB_BACKUP_START"] = "22:30",
            ["DB_MAINTENANCE_DAY"] = "WED",
            ["DB_MAINTENANCE_HOUR"] = "0",
        });
        using var gcloud = new FakeGcloud();

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(up.ExitCode == 0, up.Output);
        var create = Assert.Single(DryRunOutput.Calls(up.StandardOutput), c => c.Is("sql", "instances", "create", Instance));
        Assert.Equal("zonal", create.Flag("--availability-type"));
        Assert.Equal("30", create.Flag("--retained-backups-count"));
        Assert.Equal("3", create.Flag("--retained-transaction-log-days"));
        Assert.Equal("22:30", create.Flag("--backup-start-time"));
        Assert.Equal("WED", create.Flag("--maintenance-window-day"));
        Assert.Equal("0", create.Flag("--maintenance-window-hour"));
    }

    [Fact]
    public void The_env_file_says_what_regional_availability_costs()
    {
        var lines = File.ReadAllLines(DeploySpace.TemplateEnvFile).ToList();
        var setting = lines.FindIndex(l => l.StartsWith("DB_AVAILABILITY=", StringComparison.Ordinal));
        Assert.Equal("DB_AVAILABILITY=regional", lines[setting]);
        var comment = string.Join(' ', lines.Take(setting).Reverse().TakeWhile(l => l.StartsWith('#')));
        Assert.Contains("twice", comment);
        Assert.Contains("zonal", comment);
    }

    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "DB_AVAILABILITY", "multi-zone", "DB_AVAILABILITY=multi-zone: expected regional" },
        { "DB_AVAILABILITY", null, "'DB_AVAILABILITY' is missing" },
        { "DB_RETAINED_BACKUPS", "0", "DB_RETAINED_BACKUPS=0: expected a whole number from 1 to 365" },
        { "DB_LOG_RETENTION_DAYS", "14", "DB_LOG_RETENTION_DAYS=14: expected a whole number from 1 to 7" },
        { "DB_BACKUP_START", "3am", "DB_BACKUP_START=3am: expected a UTC time HH:MM" },
        { "DB_BACKUP_START", "24:00", "DB_BACKUP_START=24:00: expected a UTC time HH:MM" },
        { "DB_MAINTENANCE_DAY", "SUNDAY", "DB_MAINTENANCE_DAY=SUNDAY: expected MON, TUE, WED, THU, FRI, SAT or SUN" },
        { "DB_MAINTENANCE_HOUR", "24", "DB_MAINTENANCE_HOUR=24: expected a whole number from 0 to 23" },
        { "DB_FINAL_BACKUP_DAYS", "366", "DB_FINAL_BACKUP_DAYS=366: expected a whole number from 1 to 365" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_database_setting_stops_up_and_down_before_any_gcloud_call(string key, string? value, string message)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { [key] = value });
        using var gcloud = new FakeGcloud();
        foreach (var (script, arguments) in new[] { ("deploy/up.sh", Array.Empty<string>()), ("deploy/down.sh", ["--yes"]) })
        {
            var result = await gcloud.RunAsync(space.Folder, script, arguments);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("error:", result.StandardError);
            Assert.Contains(message, result.StandardError);
        }

        Assert.Empty(gcloud.Calls());
    }
}
