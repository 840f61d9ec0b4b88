namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The space manifest (space/*.conf) is read, never executed, and checked before any gcloud call: a bad entry stops
/// every script with a message naming its file (and line); the env file may override an added entry's sizes as
/// NAME_KEY and nothing else of it; the database connection budget counts every entry's pool.
/// </summary>
public sealed class ManifestTests
{
    private static readonly string Orders = DeploySpace.ServiceEntry("Orders");

    public static TheoryData<string, string, string> BadEntries => new()
    {
        { "orders", Orders + "\nCOLOUR=blue\n", "orders.conf:13: unknown key 'COLOUR' for a service" },
        { "orders", Orders.Replace("KIND=service", "KIND=daemon", StringComparison.Ordinal), "orders.conf:1: KIND=daemon: expected service or job" },
        { "orders", Orders.Replace("INVOKERS=frontend", "INVOKERS=frontend,billing", StringComparison.Ordinal), "INVOKERS names 'billing', which is no entry of the space" },
        { "a-very-long-entry-name", Orders, "bad entry name 'a-very-long-entry-name': use 1-20 lowercase letters" },
        { "Orders", Orders, "bad entry name 'Orders'" },
        { "orders", Orders.Replace("DOCKERFILE=src/Orders/Dockerfile\n", "", StringComparison.Ordinal), "orders.conf: DOCKERFILE is missing" },
        { "orders", Orders.Replace("INGRESS=internal", "INGRESS=all", StringComparison.Ordinal), "exactly one entry, the frontend, has INGRESS=all (found: frontend orders)" },
        { "orders", Orders.Replace("MEMORY=512Mi", "MEMORY=256Mi", StringComparison.Ordinal), "orders.conf:9: ORDERS_MEMORY=256Mi: Cloud Run (2nd gen) takes 512Mi to 32Gi" },
        { "orders", Orders.Replace("CPU=1", "CPU=3", StringComparison.Ordinal), "orders.conf:8: ORDERS_CPU=3: expected 1, 2, 4, 6 or 8" },
        { "orders", Orders.Replace("DATABASE=false", "DATABASE=true", StringComparison.Ordinal), "orders.conf: DB_POOL_SIZE is missing" },
        { "orders", Orders + "\nKIND=job\n", "orders.conf:13: 'KIND' is set twice" },
        { "orders", Orders + "\n$(touch /tmp/pwned)\n", "orders.conf:13: expected KEY=value" },
        { "migrate", Orders, "the entry name 'migrate' is taken by the space's own resources" },
        { "report-sch", Orders, "the entry name 'report-sch' is taken" },
        { "nightly", DeploySpace.JobEntry("Nightly").Replace("TASK_TIMEOUT=600s", "TASK_TIMEOUT=10m", StringComparison.Ordinal), "nightly.conf:7: NIGHTLY_TASK_TIMEOUT=10m: expected seconds" },
        { "nightly", DeploySpace.JobEntry("Nightly", schedule: "\"every day\""), "nightly.conf:9: SCHEDULE=every day: expected a cron schedule of five fields" },
        { "nightly", DeploySpace.JobEntry("Nightly") + "\nINGRESS=internal\n", "unknown key 'INGRESS' for a job" },
    };

    [Theory]
    [MemberData(nameof(BadEntries))]
    public async Task A_bad_manifest_entry_stops_up_before_any_gcloud_call_naming_its_file(string name, string contents, string message)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        space.AddEntry(name, contents);
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error: ", result.StandardError);
        Assert.Contains(message, result.StandardError);
        Assert.Empty(gcloud.Calls());
        Assert.False(File.Exists("/tmp/pwned"));
    }

    [Theory]
    [InlineData("deploy/deploy.sh")]
    [InlineData("deploy/down.sh")]
    [InlineData("deploy/cloudbuild-step.sh")]
    public async Task Every_script_checks_the_manifest(string script)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        space.AddEntry("orders", Orders.Replace("KIND=service", "KIND=daemon", StringComparison.Ordinal));
        using var gcloud = new FakeGcloud();
        string[] arguments = script switch
        {
            "deploy/down.sh" => ["--yes"],
            "deploy/cloudbuild-step.sh" => ["plan", "--tag", "abc1234", "--plan", Path.Combine(space.Folder, "release.env")],
            _ => [],
        };
        var result = await gcloud.RunAsync(space.Folder, script, arguments);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("KIND=daemon: expected service or job", result.StandardError);
        Assert.Empty(gcloud.Calls());
    }

    [Fact]
    public async Task The_frontend_and_the_backend_keep_their_sizes_in_the_env_file()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        space.AddEntry("backend", File.ReadAllText(Path.Combine(space.Folder, "space", "backend.conf")) + "CPU=2\n");
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'CPU' of the backend is set in deploy/env/ENV.env as BACKEND_CPU, not here", result.StandardError);
    }

    [Fact]
    public async Task The_env_file_overrides_an_added_entry_s_size_and_a_typo_of_one_stays_an_error()
    {
        using var space = new DeploySpace();
        space.AddEntry("orders", Orders);
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["ORDERS_MAX_INSTANCES"] = "7", ["ORDERS_CPU"] = "2" });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        var orders = Assert.Single(DryRunOutput.Calls(result.StandardOutput), c => c.Is("run", "deploy", AddedEntryTests.Orders));
        Assert.Equal("7", orders.Flag("--max-instances"));
        Assert.Equal("2", orders.Flag("--cpu"));
        Assert.Equal("512Mi", orders.Flag("--memory"));

        foreach (var (key, message) in new[]
        {
            ("ORDERS_MAX_INSTANCE", "unknown setting 'ORDERS_MAX_INSTANCE'"),
            ("ORDERS_DB_POOL_SIZE", "unknown setting 'ORDERS_DB_POOL_SIZE'"), // orders does not use the database
            ("BILLING_CPU", "unknown setting 'BILLING_CPU'"),
            ("ORDERS_SCHEDULE", "unknown setting 'ORDERS_SCHEDULE'"),
        })
        {
            space.WriteEnv("prod", settings: new Dictionary<string, string?> { [key] = "2" });
            var bad = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains(message, bad.StandardError);
        }

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["ORDERS_MEMORY"] = "128Mi" });
        var badValue = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.Contains("prod.env: ORDERS_MEMORY=128Mi: Cloud Run (2nd gen) takes 512Mi to 32Gi", badValue.StandardError);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Fact]
    public async Task The_connection_budget_counts_every_entry_that_uses_the_database()
    {
        using var space = new DeploySpace();
        // The template's 2 x 4 x 10 + 2 + 10 = 92 of 100; orders adds 2 x 4 x 5 = 40, nightly 5.
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders", database: true));
        space.AddEntry("nightly", DeploySpace.JobEntry("Nightly", database: true));
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("2 revisions x BACKEND_MAX_INSTANCES=4 x BACKEND_DB_POOL_SIZE=10 + NIGHTLY_DB_POOL_SIZE=5 (job) + 2 x ORDERS_MAX_INSTANCES=4 x ORDERS_DB_POOL_SIZE=5 + 2 (migrations) + 10 (reserved) = 137", result.StandardError);

        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["DB_MAX_CONNECTIONS"] = "137" });
        var fits = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(fits.ExitCode == 0, fits.Output);
    }

    [Fact]
    public async Task A_long_entry_name_gives_names_within_the_limits()
    {
        using var space = new DeploySpace();
        space.AddEntry("a-twenty-char-name-x", DeploySpace.JobEntry("Long"));
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["APP"] = "a-very-long-application-name-that-goes-on" });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        var printed = DryRunOutput.Calls(result.StandardOutput);
        var job = Assert.Single(printed, c => c.Is("run", "jobs", "deploy") && c.Words[3].EndsWith("-a-twenty-char-name-x", StringComparison.Ordinal)).Words[3];
        Assert.True(job.Length <= 49, job);
        var accounts = printed.Where(c => c.Is("iam", "service-accounts", "create")).Select(c => c.Words[3]).ToList();
        Assert.Equal(accounts.Count, accounts.Distinct().Count());
        Assert.All(accounts, a => Assert.Matches("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", a));
        Assert.Contains(accounts, a => a.EndsWith("-a-twenty-char-name-x", StringComparison.Ordinal));
        Assert.Contains(accounts, a => a.EndsWith("-sch", StringComparison.Ordinal));
    }
}
