using System.Text.Json.Nodes;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The connections to Cloud SQL check the server certificate: SSL Mode=VerifyCA against the instance's
/// server CA, which up.sh keeps in a secret that the backend and the migration job mount as a file, its
/// version pinned wherever they are deployed (up.sh, Cloud Build, a canary).
/// </summary>
public sealed class DatabaseTlsTests
{
    private const string App = "cloudrunspace-app";
    private const string ProjectId = "my-gcp-project";
    private const string Instance = $"{App}-prod-db";
    private const string CaSecret = $"{App}-prod-db-ca";
    private const string CaPath = "/secrets/db-ca/server-ca.pem";

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    private static string Account(string role) => $"serviceAccount:{App}-prod-{role}@{ProjectId}.iam.gserviceaccount.com";

    /// <summary>The stand-in's server CA certificate of an instance.</summary>
    private static string ServerCa(string instance) => $"-----BEGIN CERTIFICATE-----\nFAKE-SERVER-CA-OF-{instance}\n-----END CERTIFICATE-----";

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task The_server_ca_is_stored_mounted_pinned_and_named_in_every_connection_string(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        var calls = gcloud.Calls();

        Assert.Contains(calls, c => c.Is("sql", "instances", "describe", Instance) && c.Flag("--format") == "value(serverCaCert.cert)");
        var secret = gcloud.Resource("secrets", "|" + CaSecret);
        Assert.Equal(ServerCa(Instance) + "\n", (string)Assert.Single(secret["versions"]!.AsArray())!);
        Assert.Equal(
            [$"{Account("be")} roles/secretmanager.secretAccessor", $"{Account("mig")} roles/secretmanager.secretAccessor", $"{Account("deploy")} roles/secretmanager.viewer"],
            DataProtectionAssertions.Bindings(secret));

        foreach (var deploy in new[] { Assert.Single(calls, c => c.Is("run", "jobs", "deploy")), Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-backend")) })
        {
            Assert.Equal($"{CaSecret}:1", deploy.SecretRefs[CaPath]);
        }

        Assert.DoesNotContain(Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-frontend")).Argv, a => a.Contains(CaSecret, StringComparison.Ordinal));

        var connectionStrings = gcloud.ResourcesByName("secrets")
            .Where(s => s.Key.StartsWith($"|{App}-prod-db", StringComparison.Ordinal) && s.Key != "|" + CaSecret)
            .Select(s => (string)s.Value["versions"]![0]!).ToList();
        Assert.Equal(2, connectionStrings.Count); // the backend's and the migrator's
        Assert.All(connectionStrings, cs =>
        {
            Assert.Contains($";SSL Mode=VerifyCA;Root Certificate={CaPath};", cs);
            Assert.DoesNotContain("SSL Mode=Require", cs);
        });

        // A second run leaves the secret as it is.
        var second = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Single(gcloud.Resource("secrets", "|" + CaSecret)["versions"]!.AsArray());
        Assert.DoesNotContain(gcloud.Calls().Skip(calls.Count), c => c.Is("secrets", "versions", "add"));
    }

    [Fact]
    public async Task A_rotated_server_ca_becomes_a_new_version_that_cloud_build_and_a_canary_pin()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);

        // The instance's CA changes (a rotation): the next up.sh stores it as version 2.
        var instanceFile = Path.Combine(gcloud.StateFolder, "resources", "sql.instances", Uri.EscapeDataString("|" + Instance) + ".json");
        var instance = JsonNode.Parse(File.ReadAllText(instanceFile))!.AsObject();
        instance["server_ca_cert"] = "-----BEGIN CERTIFICATE-----\nROTATED\n-----END CERTIFICATE-----";
        File.WriteAllText(instanceFile, instance.ToJsonString());
        var again = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(again.ExitCode == 0, again.Output);
        var versions = gcloud.Resource("secrets", "|" + CaSecret)["versions"]!.AsArray().Select(v => (string)v!).ToList();
        Assert.Equal([ServerCa(Instance) + "\n", "-----BEGIN CERTIFICATE-----\nROTATED\n-----END CERTIFICATE-----\n"], versions);

        var before = gcloud.Calls().Count;
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        foreach (var step in new[] { "migrate", "backend" })
        {
            var build = await gcloud.RunBuildStepAsync(space.Folder, step, "--env", "prod", "--region", "us-central1", "--tag", "abc1234");
            Assert.True(build.ExitCode == 0, build.Output);
        }

        var canary = await gcloud.RunAsync(space.Folder, "deploy/traffic.sh", "canary", "backend", "--image-tag", "abc1234");
        Assert.True(canary.ExitCode == 0, canary.Output);
        var deploys = gcloud.Calls().Skip(before).Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy")).ToList();
        Assert.Equal(3, deploys.Count);
        Assert.All(deploys, d => Assert.Equal($"{CaSecret}:2", d.SecretRefs[CaPath]));
    }

    [Fact]
    public async Task The_backend_step_stops_with_a_clear_error_before_the_server_ca_secret_has_a_version()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var result = await gcloud.RunBuildStepAsync(space.Folder, "backend", "--env", "prod", "--region", "us-central1", "--tag", "abc1234");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error: secret {CaSecret} has no version to pin", result.StandardError);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Fact]
    public async Task Dry_run_prints_the_server_ca_calls_with_placeholders()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam: true);
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(up.ExitCode == 0, up.Output);
        var printed = DryRunOutput.Calls(up.StandardOutput);
        Assert.Contains(printed, c => c.Is("secrets", "create", CaSecret));
        Assert.Contains(printed, c => c.Is("sql", "instances", "describe", Instance) && c.Flag("--format") == "value(serverCaCert.cert)");
        Assert.Contains(printed, c => c.Is("secrets", "versions", "add", CaSecret));
        Assert.Equal([Account("be"), Account("mig"), Account("deploy")],
            printed.Where(c => c.Is("secrets", "add-iam-policy-binding", CaSecret)).Select(c => c.Flag("--member")));
        Assert.Equal($"{CaSecret}:DB_CA_VERSION", Assert.Single(printed, c => c.Is("run", "deploy", $"{App}-prod-backend")).SecretRefs[CaPath]);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }
}
