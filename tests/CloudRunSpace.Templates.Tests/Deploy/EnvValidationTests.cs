namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>Bad settings stop every script with a clear message before any gcloud call.</summary>
public sealed class EnvValidationTests
{
    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "PROJECT_ID", "My_Project", "not a valid project id" },
        { "PROJECT_ID", "abc", "not a valid project id" },
        { "REGION", "mars-central1", "not a region" },
        { "DB_AUTH", "ldap", "expected password or iam" },
        { "EGRESS", "vpn", "expected direct-vpc or connector" },
        { "BACKEND_MEMORY", "256Mi", "512Mi to 32Gi" },
        { "BACKEND_CPU", "3", "expected 1, 2, 4, 6 or 8" },
        { "BACKEND_DB_POOL_SIZE", "50", "more database connections than DB_MAX_CONNECTIONS" },
        { "FRONTEND_MIN_INSTANCES", "20", "must not exceed FRONTEND_MAX_INSTANCES" },
        { "SUBNET_RANGE", "10.10.0.0/28", "private IPv4 range" },
        { "APP", "Acme_Shop", "lowercase letters, digits and inner hyphens" },
        { "APP", "google-shop", "would begin with 'goog' or contain 'google'" },
        { "REGOIN", "us-central1", "unknown setting 'REGOIN'" },
        { "DB_TIER", null, "'DB_TIER' is missing" },
        { "EDGE", "cdn", "expected direct or load-balancer" },
        { "EDGE", "load-balancer", "DOMAIN is required when EDGE=load-balancer" },
        { "TRUSTED_IP_RANGES", "203.0.113.0/24", "TRUSTED_IP_RANGES needs EDGE=load-balancer" },
        { "WAF_SENSITIVITY", "5", "expected 1, 2, 3 or 4" },
        { "RATE_LIMIT_PER_MINUTE", "0", "expected a whole number from 1 to 1000000" },
        { "STATIC_EGRESS_IP", "yes", "STATIC_EGRESS_IP=yes: expected true or false" },
        { "FRONTEND_SLO_LATENCY", "90%/month", "FRONTEND_SLO_LATENCY=90%/month: expected off or PERCENT%<MSms/PERIOD, e.g. 90%<200ms/month" },
        { "FRONTEND_SLO_AVAILABILITY", "99.5%<200ms/28d", "expected off or PERCENT%/PERIOD, e.g. 99.5%/28d" },
        { "BACKEND_SLO_AVAILABILITY", "100%/28d", "PERCENT above 0 and at most 99.99" },
        { "BACKEND_SLO_AVAILABILITY", "0%/28d", "PERCENT above 0 and at most 99.99" },
        { "BACKEND_SLO_AVAILABILITY", "99.5%/31d", "Nd for a rolling 1 to 30 days" },
        { "BACKEND_SLO_LATENCY", "95%<0ms/28d", "MS from 1 to 60000" },
        { "BACKEND_SLO_LATENCY", "95%<150ms/year", "or day, week, fortnight or month" },
        { "MONITORING_EMAIL", "ops@", "MONITORING_EMAIL=ops@: expected one e-mail address" },
        { "MONITORING_EMAIL", "a@example.com,b@example.com", "expected one e-mail address" },
        { "UPTIME_CHECK_PERIOD", "3", "UPTIME_CHECK_PERIOD=3: expected the minutes between checks, 1, 5, 10 or 15, or off" },
        { "DASHBOARD", "yes", "DASHBOARD=yes: expected true or false" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_stops_up_before_any_gcloud_call(string key, string? value, string message)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { [key] = value });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error:", result.StandardError);
        Assert.Contains(message, result.StandardError);
        Assert.Empty(gcloud.Calls());
    }

    [Theory]
    [InlineData("deploy/up.sh")]
    [InlineData("deploy/deploy.sh")]
    [InlineData("deploy/down.sh")]
    [InlineData("deploy/pipeline.sh")]
    public async Task A_bad_environment_name_or_a_missing_env_file_stops_every_script(string script)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();

        string[] yes = script == "deploy/down.sh" ? ["--yes"] : [];
        var badName = await gcloud.RunAsync(space.Folder, script, ["--env", "Prod!", .. yes]);
        Assert.NotEqual(0, badName.ExitCode);
        Assert.Contains("bad environment name 'Prod!'", badName.StandardError);

        var missing = await gcloud.RunAsync(space.Folder, script, ["--env", "staging", .. yes]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("staging.env does not exist", missing.StandardError);
        Assert.Empty(gcloud.Calls());
    }

    [Fact]
    public async Task The_template_env_file_resolves_to_valid_settings_for_every_variant()
    {
        foreach (var (iam, connector) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            using var space = new DeploySpace();
            space.WriteEnv("prod", iam, connector);
            using var gcloud = new FakeGcloud();
            var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains($"database auth: {(iam ? "iam" : "password")}; egress: {(connector ? "connector" : "direct-vpc")}", result.StandardError);
        }
    }
}
