using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Runs the generated deploy/up.sh twice and deploy/down.sh against the stand-in gcloud, for every
/// --db-auth and --egress value, and checks the calls and what exists afterwards (the frontend's shared
/// Data Protection key ring included): down.sh --yes keeps the protected database and what it needs,
/// down.sh --delete-database=INSTANCE deletes it and leaves only its final backup.
/// </summary>
public sealed class UpDownTests(TemplateHive hive)
{
    private const string ProjectId = "acme-shop-test";
    private const string App = "acme-shop";

    public static TheoryData<string, string> Variants => new()
    {
        { "password", "direct-vpc" },
        { "password", "connector" },
        { "iam", "direct-vpc" },
        { "iam", "connector" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Up_provisions_a_private_space_then_a_second_run_creates_nothing_and_down_removes_it(string dbAuth, string egress)
    {
        var space = await hive.InstantiateAsync("Acme.Shop", "--db-auth", dbAuth, "--egress", egress, "--project-id", ProjectId, "--tests", "false");
        Assert.True(space.ExitCode == 0, space.Output);
        using var gcloud = new FakeGcloud();

        var first = await gcloud.RunAsync(space.OutputDirectory, "deploy/up.sh");
        Assert.True(first.ExitCode == 0, first.Output);
        var calls = gcloud.Calls();
        TestContext.Current.SendDiagnosticMessage($"up.sh ({dbAuth}, {egress}) made {calls.Count} gcloud calls on its first run");
        Assert.Contains($"https://{App}-prod-frontend-{FakeGcloud.ProjectNumber}.", first.StandardOutput);
        AssertPrivateSpace(calls, dbAuth, egress);
        AssertDatabaseCredentials(gcloud, calls, first, dbAuth);
        DataProtectionAssertions.AssertProvisioned(gcloud, calls, first, ProjectId, App);
        DataProtectionAssertions.AssertFrontendFlags(Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-frontend")),
            DataProtectionAssertions.Bucket(ProjectId, App), DataProtectionAssertions.Secret(App), "1");
        Assert.DoesNotContain("--add-volume", string.Join(' ', Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-backend")).Argv));

        var resourcesAfterFirst = gcloud.Resources();
        var bindingsAfterFirst = gcloud.ProjectBindings();
        var second = await gcloud.RunAsync(space.OutputDirectory, "deploy/up.sh");
        Assert.True(second.ExitCode == 0, second.Output);
        var secondCalls = gcloud.Calls().Skip(calls.Count).ToList();
        Assert.DoesNotContain(secondCalls, c => c.Words.Any(w => w is "create" or "deploy" or "connect" or "submit" or "add" or "set-password" or "assign-roles"));
        Assert.Equal(resourcesAfterFirst, gcloud.Resources());
        Assert.Equal(bindingsAfterFirst, gcloud.ProjectBindings());
        // The certificate is never made again: the secret keeps its one version, nothing was generated.
        var certificateSecret = gcloud.Resource("secrets", "|" + DataProtectionAssertions.Secret(App));
        Assert.Single(certificateSecret["versions"]!.AsArray());
        Assert.Contains(secondCalls, c => c.Is("secrets", "versions", "list", DataProtectionAssertions.Secret(App)));
        Assert.Empty(gcloud.LeftInTempFolder());

        var beforeDown = gcloud.Calls().Count;
        var down = await gcloud.RunAsync(space.OutputDirectory, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        // Both modes: the backend's and the migrator's connection strings (in password mode the only copy of the passwords).
        string[] databaseSecrets = [$"secrets/|{App}-prod-db-backend", $"secrets/|{App}-prod-db-migrator"];
        Assert.Equal(KeptWithTheDatabase(dbAuth).Concat(databaseSecrets).Order(StringComparer.Ordinal), gcloud.Resources());
        Assert.Empty(gcloud.ProjectBindings());
        var downCalls = gcloud.Calls().Skip(beforeDown).ToList();
        Assert.Contains(downCalls, c => c.Is("storage", "rm", $"gs://{DataProtectionAssertions.Bucket(ProjectId, App)}/") && c.Has("--recursive"));
        Assert.Contains(downCalls, c => c.Is("secrets", "delete", DataProtectionAssertions.Secret(App)));
        Assert.Contains(downCalls, c => c.Is("secrets", "delete", $"{App}-prod-db-ca"));
        Assert.DoesNotContain(downCalls, c => c.Is("sql", "instances", "delete") || c.Is("sql", "instances", "patch"));
        Assert.Contains($"kept: Cloud SQL instance {App}-prod-db with its data", down.StandardError);

        var beforeDelete = gcloud.Calls().Count;
        var delete = await gcloud.RunAsync(space.OutputDirectory, "deploy/down.sh", "--yes", $"--delete-database={App}-prod-db");
        Assert.True(delete.ExitCode == 0, delete.Output);
        Assert.Equal([$"sql.backups/|final-{App}-prod-db"], gcloud.Resources());
        var deleteCalls = gcloud.Calls().Skip(beforeDelete).ToList();
        var unprotect = Assert.Single(deleteCalls, c => c.Is("sql", "instances", "patch", $"{App}-prod-db"));
        Assert.True(unprotect.Has("--no-deletion-protection"), unprotect.ToString());
        var instanceDelete = Assert.Single(deleteCalls, c => c.Is("sql", "instances", "delete", $"{App}-prod-db"));
        Assert.True(instanceDelete.Has("--enable-final-backup"), instanceDelete.ToString());
        Assert.True(deleteCalls.IndexOf(unprotect) < deleteCalls.IndexOf(instanceDelete));
        Assert.Contains($"kept: the final backup of {App}-prod-db, for 30 days", delete.StandardError);
    }

    /// <summary>What down.sh --yes leaves when the database is kept, besides the database's secrets.</summary>
    private static IEnumerable<string> KeptWithTheDatabase(string dbAuth) =>
        new[]
        {
            $"compute.addresses/|{App}-prod-psa",
            $"compute.networks/|{App}-prod-net",
            $"peering/network={App}-prod-net|servicenetworking-googleapis-com",
            $"sql.databases/instance={App}-prod-db|acme_shop",
            $"sql.instances/|{App}-prod-db",
        }.Concat(dbAuth == "password"
            ? [$"sql.users/instance={App}-prod-db|migrator"] // the backend's users are made by the migration, with SQL
            : [$"sql.users/instance={App}-prod-db|{App}-prod-be@{ProjectId}.iam", $"sql.users/instance={App}-prod-db|{App}-prod-mig@{ProjectId}.iam"]);

    private static void AssertPrivateSpace(IReadOnlyList<GcloudCall> calls, string dbAuth, string egress)
    {
        Assert.All(calls, c => Assert.Equal(ProjectId, c.Flag("--project")));

        var backend = Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-backend"));
        Assert.Equal("internal", backend.Flag("--ingress"));
        Assert.True(backend.Has("--no-allow-unauthenticated"), backend.ToString());
        Assert.DoesNotContain("--allow-unauthenticated", backend.Argv);
        Assert.Equal("/healthz/ready", ProbePath(backend.Flag("--startup-probe")));
        Assert.Equal("/healthz/live", ProbePath(backend.Flag("--liveness-probe")));
        foreach (var flag in new[] { "--concurrency", "--cpu", "--memory", "--min-instances", "--max-instances" })
        {
            Assert.False(string.IsNullOrEmpty(backend.Flag(flag)), $"{flag} missing: {backend}");
        }

        Assert.True(backend.Has("--cpu-boost"), backend.ToString());
        var backendUrl = $"https://{App}-prod-backend-{FakeGcloud.ProjectNumber}.us-central1.run.app";
        var backendEnv = EnvVars(backend);
        Assert.Equal(backendUrl, backendEnv["Auth__Audience"]);
        Assert.Equal($"{App}-prod-fe@{ProjectId}.iam.gserviceaccount.com", backendEnv["Auth__AllowedCallers"]);
        Assert.Equal(ProjectId, backendEnv["GOOGLE_CLOUD_PROJECT"]);
        Assert.Contains("ConnectionStrings__Database", backend.SecretRefs.Keys);
        AssertVpcEgress(backend, egress, "private-ranges-only");

        var frontend = Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-frontend"));
        Assert.Equal("all-traffic", frontend.Flag("--vpc-egress"));
        AssertVpcEgress(frontend, egress, "all-traffic", subnet: "frontend");
        Assert.True(frontend.Has("--no-invoker-iam-check"), frontend.ToString());
        Assert.DoesNotContain("--allow-unauthenticated", frontend.Argv);
        var frontendEnv = EnvVars(frontend);
        Assert.Equal(backendUrl, frontendEnv["Backend__BaseUrl"]);
        Assert.Equal(backendUrl, frontendEnv["Backend__Audience"]);

        var migrate = Assert.Single(calls, c => c.Is("run", "jobs", "deploy"));
        Assert.True(migrate.Has("--execute-now") && migrate.Has("--wait"), migrate.ToString());
        Assert.Equal($"{App}-prod-mig@{ProjectId}.iam.gserviceaccount.com", migrate.Flag("--service-account"));
        var order = new[] { migrate, backend, frontend }.Select(c => calls.ToList().IndexOf(c)).ToList();
        Assert.Equal(order.Order().ToList(), order);

        var sql = Assert.Single(calls, c => c.Is("sql", "instances", "create"));
        Assert.True(sql.Has("--no-assign-ip"), sql.ToString());
        Assert.Equal("ENTERPRISE", sql.Flag("--edition"));
        Assert.Equal("ENCRYPTED_ONLY", sql.Flag("--ssl-mode"));
        Assert.Equal(dbAuth == "iam", sql.Flag("--database-flags")!.Contains("cloudsql.iam_authentication=on"));
        Assert.Contains(calls, c => c.Is("compute", "networks", "subnets", "create") && c.Has("--enable-private-ip-google-access"));
        Assert.Contains(calls, c => c.Is("compute", "routers", "nats", "create"));
        Assert.Contains(calls, c => c.Is("services", "vpc-peerings", "connect"));
        Assert.Equal(egress == "connector", calls.Any(c => c.Is("compute", "networks", "vpc-access", "connectors", "create")));

        // Invoker: the frontend's account only, on the backend only.
        var invokers = calls.Where(c => c.Flag("--role") == "roles/run.invoker").ToList();
        Assert.NotEmpty(invokers);
        Assert.All(invokers, c =>
        {
            Assert.True(c.Is("run", "services", "add-iam-policy-binding", $"{App}-prod-backend"), c.ToString());
            Assert.Equal($"serviceAccount:{App}-prod-fe@{ProjectId}.iam.gserviceaccount.com", c.Flag("--member"));
        });

        // Secret access is bound on each secret, never on the project.
        var accessors = calls.Where(c => c.Flag("--role") == "roles/secretmanager.secretAccessor").ToList();
        Assert.All(accessors, c => Assert.True(c.Is("secrets", "add-iam-policy-binding"), c.ToString()));
        var secretOf = (string sa) => accessors.Where(c => c.Flag("--member") == $"serviceAccount:{App}-prod-{sa}@{ProjectId}.iam.gserviceaccount.com").Select(c => c.Words[2]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(MountedSecrets(backend), secretOf("be"));
        Assert.Equal(MountedSecrets(migrate), secretOf("mig"));

        // Every service, job and build names its own account; the default compute account never appears.
        Assert.All(calls.Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy") || c.Is("builds", "submit")),
            c => Assert.False(string.IsNullOrEmpty(c.Flag("--service-account")), c.ToString()));
        Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.Contains("-compute@developer.gserviceaccount.com")));
    }

    /// <summary>The secrets a call mounts or reads into variables, in order of name.</summary>
    private static List<string> MountedSecrets(GcloudCall call) =>
        call.SecretRefs.Values.Select(r => r.Split(':')[0]).Distinct().Order(StringComparer.Ordinal).ToList();

    private static void AssertVpcEgress(GcloudCall call, string egress, string mode, string subnet = "run")
    {
        Assert.Equal(mode, call.Flag("--vpc-egress"));
        if (egress == "connector")
        {
            Assert.Equal($"{App}-prod-vpc", call.Flag("--vpc-connector"));
            Assert.Null(call.Flag("--network"));
        }
        else
        {
            Assert.Equal($"{App}-prod-net", call.Flag("--network"));
            Assert.Equal($"{App}-prod-{subnet}", call.Flag("--subnet"));
        }
    }

    private static void AssertDatabaseCredentials(FakeGcloud gcloud, IReadOnlyList<GcloudCall> calls, ProcessResult run, string dbAuth)
    {
        Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.StartsWith("--password", StringComparison.Ordinal)));
        // The database's connection strings: every secret but the frontend's Data Protection certificate and the server CA.
        var secrets = gcloud.ResourcesByName("secrets").Where(s => s.Key != "|" + DataProtectionAssertions.Secret(App) && s.Key != $"|{App}-prod-db-ca").Select(s => s.Value).ToList();
        Assert.NotEmpty(secrets);
        Assert.All(secrets, s => Assert.Single(s["versions"]!.AsArray()));
        var connectionStrings = secrets.Select(s => (string)s["versions"]![0]!).ToList();
        Assert.All(connectionStrings, cs =>
        {
            Assert.Contains("Host=10.20.0.3;", cs);
            Assert.Contains(";SSL Mode=VerifyCA;Root Certificate=/secrets/db-ca/server-ca.pem;", cs);
            Assert.Contains("Maximum Pool Size=", cs);
        });

        if (dbAuth == "password")
        {
            // The migrator is the one built-in user; the backend's user is made by the migration, which sets the
            // password it reads from the backend's secret.
            var user = Assert.Single(gcloud.ResourcesByName("sql.users")).Value;
            Assert.Single(calls, c => c.Is("sql", "users", "create", "migrator"));
            var password = (string)user["password"]!;
            Assert.True(password.Length >= 32, "the generated password is too short");
            Assert.Contains($"Host=10.20.0.3;Port=5432;Database=acme_shop;Username=migrator;Password={password};SSL Mode=VerifyCA;Root Certificate=/secrets/db-ca/server-ca.pem;Maximum Pool Size=2", connectionStrings);
            var backendLogin = Assert.Single(connectionStrings, cs => cs.Contains("Username=app_a;"));
            var backendPassword = backendLogin.Split(';').Single(p => p.StartsWith("Password=", StringComparison.Ordinal))["Password=".Length..];
            Assert.True(backendPassword.Length >= 32 && backendPassword != password, "the backend's password is too short or the migrator's");
            Assert.Equal($"Host=10.20.0.3;Port=5432;Database=acme_shop;Username=app_a;Password={backendPassword};SSL Mode=VerifyCA;Root Certificate=/secrets/db-ca/server-ca.pem;Maximum Pool Size=10", backendLogin);
            foreach (var secret in new[] { password, backendPassword })
            {
                Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.Contains(secret)));
                Assert.DoesNotContain(secret, run.Output);
            }

            var migrate = Assert.Single(calls, c => c.Is("run", "jobs", "deploy"));
            Assert.Equal("app_a,app_b", EnvVars(migrate)["Database__GrantTo"]);
            Assert.Equal("true", EnvVars(migrate)["Database__CreateGrantees"]);
        }
        else
        {
            Assert.All(connectionStrings, cs => Assert.DoesNotContain("Password", cs));
            Assert.Equal(2, calls.Count(c => c.Is("sql", "users", "create") && c.Flag("--type") == "cloud_iam_service_account"));
            Assert.Contains(calls, c => c.Is("sql", "users", "create", $"{App}-prod-be@{ProjectId}.iam"));
            var migrate = Assert.Single(calls, c => c.Is("run", "jobs", "deploy"));
            Assert.Equal($"{App}-prod-be@{ProjectId}.iam", EnvVars(migrate)["Database__GrantTo"]);
            Assert.Contains(connectionStrings, cs => cs.Contains($"Username={App}-prod-mig@{ProjectId}.iam;"));
        }
    }

    /// <summary>The variables of a <c>--set-env-vars=^##^A=1##B=2</c> flag.</summary>
    public static IReadOnlyDictionary<string, string> EnvVars(GcloudCall call)
    {
        var value = call.Flag("--set-env-vars") ?? throw new Xunit.Sdk.XunitException($"no --set-env-vars: {call}");
        Assert.StartsWith("^##^", value);
        return value[4..].Split("##").Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    private static string? ProbePath(string? probe) =>
        probe?.Split(',').Select(p => p.Split('=', 2)).Where(p => p[0] == "httpGet.path").Select(p => p[1]).SingleOrDefault();
}
