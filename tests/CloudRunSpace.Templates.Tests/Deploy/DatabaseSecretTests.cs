using System.Text.Json.Nodes;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The database's secrets beyond a first up.sh (UpDownTests covers that): every deploy pins the versions it resolved,
/// a changed BACKEND_DB_POOL_SIZE reaches the backend's secret and the backend, and deploy/rotate-db-password.sh moves
/// the backend to the idle one of its two users with a new password, for every db-auth × egress value.
/// </summary>
public sealed class DatabaseSecretTests
{
    private const string App = "cloudrunspace-app";
    private const string ProjectId = "my-gcp-project";
    private const string BackendSecret = $"{App}-prod-db-backend";
    private const string MigratorSecret = $"{App}-prod-db-migrator";
    private const string Backend = $"{App}-prod-backend";
    private const string Job = $"{App}-prod-migrate";
    private const string Deployer = $"serviceAccount:{App}-prod-deploy@{ProjectId}.iam.gserviceaccount.com";

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    public static TheoryData<bool> PasswordVariants => new() { false, true };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task The_backend_and_the_migration_job_read_the_secret_versions_the_deploy_resolved_and_the_deployer_sees_only_their_numbers(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);

        var calls = gcloud.Calls();
        Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.Contains(":latest", StringComparison.Ordinal)));
        var backend = Assert.Single(calls, c => c.Is("run", "deploy", Backend));
        Assert.Equal($"{BackendSecret}:1", backend.SecretRefs["ConnectionStrings__Database"]);
        var migrate = Assert.Single(calls, c => c.Is("run", "jobs", "deploy", Job));
        Assert.Equal($"{MigratorSecret}:1", migrate.SecretRefs["ConnectionStrings__Database"]);
        Assert.Equal(iam ? null : $"{BackendSecret}:1", migrate.SecretRefs.GetValueOrDefault("Database__BackendConnectionString"));
        foreach (var secret in new[] { BackendSecret, MigratorSecret })
        {
            Assert.Contains(calls, c => c.Is("secrets", "versions", "describe", "latest") && c.Flag("--secret") == secret);
            var bindings = Bindings(gcloud.Resource("secrets", "|" + secret));
            Assert.Contains($"{Deployer} roles/secretmanager.viewer", bindings);
            Assert.DoesNotContain($"{Deployer} roles/secretmanager.secretAccessor", bindings);
        }

        // A later deploy (Cloud Build, as the deployer) pins the then newest version.
        Seed(gcloud, BackendSecret, "a second login");
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var build = await gcloud.RunBuildStepAsync(space.Folder, "backend", "--env", "prod", "--tag", "abc1234");
        Assert.True(build.ExitCode == 0, build.Output);
        var redeploy = Assert.Single(gcloud.Calls().Skip(calls.Count), c => c.Is("run", "deploy", Backend));
        Assert.Equal($"{BackendSecret}:2", redeploy.SecretRefs["ConnectionStrings__Database"]);

        var canary = await gcloud.RunAsync(space.Folder, "deploy/traffic.sh", "canary", "backend", "--image-tag", "abc1234");
        Assert.True(canary.ExitCode == 0, canary.Output);
        Assert.Equal($"{BackendSecret}:2", gcloud.Calls().Last(c => c.Is("run", "deploy", Backend)).SecretRefs["ConnectionStrings__Database"]);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task A_changed_pool_size_adds_exactly_one_secret_version_and_updates_the_backend_once(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        Assert.Equal(0, (await gcloud.RunAsync(space.Folder, "deploy/up.sh")).ExitCode);
        var first = gcloud.Calls().Count;
        var second = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(second.ExitCode == 0, second.Output);
        var secondCalls = gcloud.Calls().Skip(first).ToList();
        Assert.DoesNotContain(secondCalls, c => c.Is("secrets", "versions", "add") || c.Is("run", "services", "update"));
        Assert.Contains(secondCalls, c => c.Is("secrets", "versions", "access") && c.Flag("--secret") == BackendSecret);
        var before = (string)Versions(gcloud, BackendSecret).Single()!;
        Assert.EndsWith(";Maximum Pool Size=10", before);

        space.WriteEnv("prod", iam, connector, new Dictionary<string, string?> { ["BACKEND_DB_POOL_SIZE"] = "6" });
        var dryRun = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        // The dry run reads the secret (never printing it) and shows the difference and the two calls it would make.
        Assert.Contains(gcloud.Calls().Skip(first + secondCalls.Count), c => c.Is("secrets", "versions", "access", "latest") && c.Flag("--secret") == BackendSecret);
        Assert.Contains("BACKEND_DB_POOL_SIZE: 10 -> 6", dryRun.StandardError);
        var dryRunPrinted = DryRunOutput.Calls(dryRun.StandardOutput);
        Assert.Contains(dryRunPrinted, c => c.Is("secrets", "versions", "add", BackendSecret));
        Assert.Contains(dryRunPrinted, c => c.Is("run", "services", "update", Backend) && c.Flag("--update-secrets") == $"ConnectionStrings__Database={BackendSecret}:NEW_VERSION");
        Assert.DoesNotContain(dryRunPrinted, c => c.Is("run", "deploy"));
        foreach (var password in before.Split(';').Where(p => p.StartsWith("Password=", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(password["Password=".Length..], dryRun.Output);
        }
        Assert.DoesNotContain(gcloud.Calls().Skip(first + secondCalls.Count), c => c.Mutates);
        var afterDryRun = gcloud.Calls().Count;

        var third = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(third.ExitCode == 0, third.Output);
        var thirdCalls = gcloud.Calls().Skip(afterDryRun).ToList();
        // Exactly the edit: what the second run did, plus one version and one backend update.
        var extra = Mutations(thirdCalls).ToList();
        foreach (var same in Mutations(secondCalls))
        {
            Assert.True(extra.Remove(same), $"the third run did not repeat {same}");
        }

        Assert.Equal(
            [$"secrets versions add {BackendSecret} --data-file=- --format=none --project={ProjectId}",
             $"run services update {Backend} --region=us-central1 --update-secrets=ConnectionStrings__Database={BackendSecret}:2 --project={ProjectId}"],
            extra);
        var versions = Versions(gcloud, BackendSecret);
        Assert.Equal(2, versions.Count);
        Assert.Equal(before.Replace("Maximum Pool Size=10", "Maximum Pool Size=6", StringComparison.Ordinal), (string)versions[1]!);
        Assert.Equal($"{BackendSecret}:2", GcloudCall.ParseSecretRefs((string?)gcloud.Resource("run.services", "|" + Backend)["flags"]!["set-secrets"])["ConnectionStrings__Database"]);
        Assert.Single(Versions(gcloud, MigratorSecret));
        Assert.DoesNotContain(before.Split(';').FirstOrDefault(p => p.StartsWith("Password=", StringComparison.Ordinal)) ?? "no password", third.Output);

        var fourth = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(fourth.ExitCode == 0, fourth.Output);
        Assert.Equal(2, Versions(gcloud, BackendSecret).Count);
    }

    [Fact]
    public async Task A_secret_written_with_the_spelling_Npgsql_refuses_is_rewritten_once()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        Assert.Equal(0, (await gcloud.RunAsync(space.Folder, "deploy/up.sh")).ExitCode);
        // As an earlier version of the scripts wrote it ('Max Pool Size', which Npgsql 10 rejects).
        var login = (string)Versions(gcloud, BackendSecret)[0]!;
        Seed(gcloud, BackendSecret, login.Replace("Maximum Pool Size", "Max Pool Size", StringComparison.Ordinal));

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");

        Assert.True(up.ExitCode == 0, up.Output);
        Assert.Equal(login, (string)Versions(gcloud, BackendSecret)[2]!);
        Assert.Equal($"{BackendSecret}:3", GcloudCall.ParseSecretRefs((string?)gcloud.Resource("run.services", "|" + Backend)["flags"]!["set-secrets"])["ConnectionStrings__Database"]);
    }

    [Theory]
    [MemberData(nameof(PasswordVariants))]
    public async Task A_rotation_moves_the_backend_to_the_idle_user_with_a_new_password_and_the_next_moves_it_back(bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam: false, connector);
        using var gcloud = new FakeGcloud();
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        // The migration job of the first deploy set the password of the backend's first user.
        var first = Login((string)Versions(gcloud, BackendSecret)[0]!);
        Assert.Equal("app_a", first.User);
        Assert.Equal(first.Password, DatabaseLogins(gcloud)["app_a"]);

        var dryRun = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        var printed = DryRunOutput.Calls(dryRun.StandardOutput);
        Assert.Equal(
            ["secrets versions describe latest", "secrets versions access OLD_VERSION", "sql instances describe", "secrets versions add",
             "run jobs update", "run services update", "run services update-traffic", "secrets versions disable OLD_VERSION"],
            printed.Select(c => string.Join(' ', c.Words.Take(c.Words[0] == "sql" ? 3 : 4).Where(w => !w.StartsWith(App, StringComparison.Ordinal)))));
        Assert.Single(Versions(gcloud, BackendSecret));

        var before = gcloud.Calls().Count;
        var rotation = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh");
        Assert.True(rotation.ExitCode == 0, rotation.Output);
        var second = AssertRotated(gcloud, gcloud.Calls().Skip(before).ToList(), rotation, from: 1, to: 2, "app_b");
        Assert.NotEqual(first.Password, second.Password);
        Assert.Equal(first.Password, DatabaseLogins(gcloud)["app_a"]); // old instances keep signing in until they stop

        before = gcloud.Calls().Count;
        var back = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh");
        Assert.True(back.ExitCode == 0, back.Output);
        var third = AssertRotated(gcloud, gcloud.Calls().Skip(before).ToList(), back, from: 2, to: 3, "app_a");
        Assert.NotEqual(first.Password, third.Password);
        Assert.Equal([1, 2], Disabled(gcloud, BackendSecret));

        // A later deploy pins the rotated version, and up.sh changes nothing.
        var upAgain = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(upAgain.ExitCode == 0, upAgain.Output);
        Assert.Equal(3, Versions(gcloud, BackendSecret).Count);
    }

    [Theory]
    [InlineData("FAKE_GCLOUD_FAIL_JOBS", "the migration job could not set the new password")]
    [InlineData("FAKE_GCLOUD_FAIL_SERVICE_UPDATES", "could not move onto the new password")]
    public async Task A_rotation_that_fails_halfway_leaves_the_backend_as_it_was_and_can_run_again(string failure, string message)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        Assert.Equal(0, (await gcloud.RunAsync(space.Folder, "deploy/up.sh")).ExitCode);
        var login = (string)Versions(gcloud, BackendSecret)[0]!;

        gcloud.Environment[failure] = "1";
        var failed = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains(message, failed.StandardError);
        Assert.Contains("still signs in as app_a", failed.StandardError);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Is("secrets", "versions", "disable", "1"));
        Assert.Equal($"{BackendSecret}:1", GcloudCall.ParseSecretRefs((string?)gcloud.Resource("run.services", "|" + Backend)["flags"]!["set-secrets"])["ConnectionStrings__Database"]);
        // The newest version is the old login again; the unused new one is disabled.
        Assert.Equal(login, (string)Versions(gcloud, BackendSecret)[2]!);
        Assert.Equal([2], Disabled(gcloud, BackendSecret));

        gcloud.Environment[failure] = null;
        var before = gcloud.Calls().Count;
        var again = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh");
        Assert.True(again.ExitCode == 0, again.Output);
        AssertRotated(gcloud, gcloud.Calls().Skip(before).ToList(), again, from: 3, to: 4, "app_b");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rotation_refuses_iam_sign_in_and_calls_nothing(bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam: true, connector);
        using var gcloud = new FakeGcloud();

        var result = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no database password to rotate", result.StandardError);
        Assert.Empty(gcloud.Calls());
    }

    private static (string User, string Password) AssertRotated(FakeGcloud gcloud, IReadOnlyList<GcloudCall> calls, ProcessResult run, int from, int to, string user)
    {
        var versions = Versions(gcloud, BackendSecret);
        Assert.Equal(to, versions.Count);
        var login = Login((string)versions[to - 1]!);
        var previous = Login((string)versions[from - 1]!);
        Assert.Equal(user, login.User);
        Assert.NotEqual(previous.User, login.User);
        Assert.True(login.Password.Length >= 32, "the new password is too short");
        Assert.Equal(((string)versions[from - 1]!).Replace(previous.User, user, StringComparison.Ordinal).Replace(previous.Password, login.Password, StringComparison.Ordinal), (string)versions[to - 1]!);

        // In this order: the new password is set in the database (by the migration job) before the backend moves.
        var job = Assert.Single(calls, c => c.Is("run", "jobs", "update", Job));
        Assert.Equal($"Database__BackendConnectionString={BackendSecret}:{to}", job.Flag("--update-secrets"));
        Assert.True(job.Has("--execute-now") && job.Has("--wait"), job.ToString());
        var update = Assert.Single(calls, c => c.Is("run", "services", "update", Backend));
        Assert.Equal($"ConnectionStrings__Database={BackendSecret}:{to}", update.Flag("--update-secrets"));
        var traffic = Assert.Single(calls, c => c.Is("run", "services", "update-traffic", Backend));
        Assert.True(traffic.Has("--to-latest"), traffic.ToString());
        var disable = Assert.Single(calls, c => c.Is("secrets", "versions", "disable"));
        Assert.Equal(["secrets", "versions", "disable", from.ToString(System.Globalization.CultureInfo.InvariantCulture)], disable.Words);
        Assert.Equal(BackendSecret, disable.Flag("--secret"));
        var order = new[] { job, update, traffic, disable }.Select(c => calls.ToList().IndexOf(c)).ToList();
        Assert.Equal(order.Order().ToList(), order);
        Assert.Equal(login.Password, DatabaseLogins(gcloud)[user]);
        Assert.Equal($"{BackendSecret}:{to}", GcloudCall.ParseSecretRefs((string?)gcloud.Resource("run.services", "|" + Backend)["flags"]!["set-secrets"])["ConnectionStrings__Database"]);
        Assert.Contains(from, Disabled(gcloud, BackendSecret));

        // Nothing else changed, and the password appeared nowhere but in the secret and the database.
        Assert.Equal(5, calls.Count(c => c.Mutates && !c.Is("secrets", "versions", "access")));
        Assert.Equal(1, calls.Count(c => c.Is("secrets", "versions", "add")));
        Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.Contains(login.Password, StringComparison.Ordinal) || a.Contains(previous.Password, StringComparison.Ordinal)));
        Assert.DoesNotContain(login.Password, run.Output);
        Assert.DoesNotContain(previous.Password, run.Output);
        return login;
    }

    private static IEnumerable<string> Mutations(IEnumerable<GcloudCall> calls) => calls.Where(c => c.Mutates).Select(c => string.Join(' ', c.Argv));

    private static (string User, string Password) Login(string connectionString)
    {
        var settings = connectionString.Split(';').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (settings["Username"], settings["Password"]);
    }

    private static JsonArray Versions(FakeGcloud gcloud, string secret) => gcloud.Resource("secrets", "|" + secret)["versions"]!.AsArray();

    private static IReadOnlyList<int> Disabled(FakeGcloud gcloud, string secret) =>
        gcloud.Resource("secrets", "|" + secret)["disabled"]?.AsArray().Select(v => (int)v!).Order().ToList() ?? [];

    private static IReadOnlyList<string> Bindings(JsonObject resource) =>
        resource["bindings"]!.AsArray().Select(b => $"{(string)b![0]!} {(string)b[1]!}").ToList();

    private static Dictionary<string, string> DatabaseLogins(FakeGcloud gcloud) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(gcloud.StateFolder, "database-logins.json")))!.AsObject()
            .ToDictionary(p => p.Key, p => (string)p.Value!);

    // Adds a version to an existing secret, as someone (or an older script) did outside the scripts under test.
    private static void Seed(FakeGcloud gcloud, string secret, string value)
    {
        var file = Directory.EnumerateFiles(Path.Combine(gcloud.StateFolder, "resources", "secrets"))
            .Single(f => Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(f)) == "|" + secret);
        var resource = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        resource["versions"]!.AsArray().Add(value);
        File.WriteAllText(file, resource.ToJsonString());
    }
}
