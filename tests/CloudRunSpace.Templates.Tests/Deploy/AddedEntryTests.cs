using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// A space with an added private service (space/orders.conf, called by the frontend) and an added scheduled job
/// (space/nightly.conf), as `dotnet new cloudrun-service|cloudrun-job` add them: up.sh provisions and deploys them,
/// a second run changes nothing, an edited size changes only that, an entry removed from space/ is removed from
/// Google Cloud by the next up.sh, and down.sh leaves nothing of them.
/// </summary>
public sealed class AddedEntryTests
{
    public const string Orders = App + "-prod-orders";
    public const string Nightly = App + "-prod-nightly";
    public const string NightlySchedule = Nightly + "-schedule";
    public const string OrdersSa = App + "-prod-orders@" + ProjectId + ".iam.gserviceaccount.com";
    public const string NightlySa = App + "-prod-nightly@" + ProjectId + ".iam.gserviceaccount.com";
    public const string FrontendSa = App + "-prod-fe@" + ProjectId + ".iam.gserviceaccount.com";

    /// <summary>iam, connector, and whether orders uses the database.</summary>
    public static TheoryData<bool, bool, bool> Variants => new()
    {
        { false, false, false },
        { false, false, true },
        { true, true, true },
        { true, true, false },
    };

    /// <summary>A space with orders and nightly; DB_MAX_CONNECTIONS raised so that orders' pool fits.</summary>
    public static DeploySpace SpaceWithEntries(bool iam, bool connector, bool database, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var space = new DeploySpace();
        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders", database: database));
        space.AddEntry("nightly", DeploySpace.JobEntry("Nightly"));
        var all = new Dictionary<string, string?> { ["DB_MAX_CONNECTIONS"] = "200" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        space.WriteEnv("prod", iam, connector, all);
        return space;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Up_deploys_the_added_service_private_and_the_job_scheduled_then_changes_nothing_then_only_the_edited_size(bool iam, bool connector, bool database)
    {
        using var space = SpaceWithEntries(iam, connector, database);
        using var gcloud = new FakeGcloud();
        var first = await gcloud.UpAsync(space);
        var calls = gcloud.Calls();

        // The service: private, its own account and sizes, the frontend's account as its one invoker.
        var orders = Assert.Single(calls, c => c.Is("run", "deploy", Orders));
        Assert.Equal("internal", orders.Flag("--ingress"));
        Assert.True(orders.Has("--no-allow-unauthenticated"), orders.ToString());
        Assert.Equal(OrdersSa, orders.Flag("--service-account"));
        Assert.Equal("gen2", orders.Flag("--execution-environment"));
        Assert.Equal("4", orders.Flag("--max-instances"));
        Assert.Equal("private-ranges-only", orders.Flag("--vpc-egress"));
        Assert.EndsWith(connector ? "-vpc" : $"{App}-prod-net", orders.Flag(connector ? "--vpc-connector" : "--network"));
        var ordersUrl = $"https://{Orders}-{FakeGcloud.ProjectNumber}.us-central1.run.app";
        var env = UpDownTests.EnvVars(orders);
        Assert.Equal(ordersUrl, env["Auth__Audience"]);
        Assert.Equal(FrontendSa, env["Auth__AllowedCallers"]);
        Assert.Contains("space-entry=orders", orders.Flag("--update-labels"));
        var invokerCalls = calls.Where(c => c.Flag("--role") == "roles/run.invoker" && c.Is("run", "services", "add-iam-policy-binding", Orders)).ToList();
        Assert.All(invokerCalls, c => Assert.Equal($"serviceAccount:{FrontendSa}", c.Flag("--member")));
        Assert.Equal([$"serviceAccount:{FrontendSa}"], Members(gcloud, "run.services", Orders, "roles/run.invoker"));
        Assert.Contains($"serviceAccount:{Deployer["serviceAccount:".Length..]}", Members(gcloud, "run.services", Orders, "roles/run.developer"));

        // The frontend learns where orders is.
        var frontendEnv = UpDownTests.EnvVars(Assert.Single(calls, c => c.Is("run", "deploy", Frontend)));
        Assert.Equal(ordersUrl, frontendEnv["PrivateServices__orders__BaseUrl"]);
        Assert.Equal(ordersUrl, frontendEnv["PrivateServices__orders__Audience"]);
        var order = new[] { Backend, Orders, Frontend }.Select(s => calls.ToList().FindIndex(c => c.Is("run", "deploy", s))).ToList();
        Assert.Equal(order.Order(), order);

        // The job: deployed (not run), its scheduler job runs it as an account that holds run.invoker on it and nothing else.
        var nightly = Assert.Single(calls, c => c.Is("run", "jobs", "deploy", Nightly));
        Assert.False(nightly.Has("--execute-now"), nightly.ToString());
        Assert.Equal(NightlySa, nightly.Flag("--service-account"));
        Assert.Equal("600s", nightly.Flag("--task-timeout"));
        Assert.Equal("1", nightly.Flag("--max-retries"));
        Assert.Equal("private-ranges-only", nightly.Flag("--vpc-egress"));
        Assert.Contains(calls, c => c.Is("services", "enable") && c.Argv.Contains("cloudscheduler.googleapis.com"));
        var schedule = gcloud.Resource("scheduler.jobs", "|" + NightlySchedule)["flags"]!;
        Assert.Equal("0 3 * * *", (string?)schedule["schedule"]);
        Assert.Equal("Etc/UTC", (string?)schedule["time-zone"]);
        Assert.Equal("POST", (string?)schedule["http-method"]);
        Assert.Equal($"https://run.googleapis.com/v2/projects/{ProjectId}/locations/us-central1/jobs/{Nightly}:run", (string?)schedule["uri"]);
        var schedulerSa = (string)schedule["oauth-service-account-email"]!;
        Assert.Matches(@"^[a-z][a-z0-9-]{4,24}-sch@my-gcp-project\.iam\.gserviceaccount\.com$", schedulerSa);
        Assert.Equal([$"run.jobs/|{Nightly} roles/run.invoker"], HeldBy(gcloud, "serviceAccount:" + schedulerSa));
        Assert.Contains(gcloud.Resources(), r => r == $"iam.service-accounts/|{schedulerSa}");

        AssertDatabase(gcloud, calls, orders, iam, database);
        Assert.DoesNotContain("Password=", first.Output);

        // Second run: nothing made, nothing changed.
        var resources = gcloud.Resources();
        var bindings = gcloud.ProjectBindings();
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var second = gcloud.Since(before);
        Assert.DoesNotContain(second, c => c.Words.Any(w => w is "create" or "deploy" or "update" or "delete" or "remove-iam-policy-binding" or "submit"));
        Assert.Equal(resources, gcloud.Resources());
        Assert.Equal(bindings, gcloud.ProjectBindings());
        var unchanged = second.Where(c => c.Mutates).Select(c => c.ToString()).ToList();

        // An edited size in the env file: exactly that update.
        using var edited = SpaceWithEntries(iam, connector, database, new Dictionary<string, string?> { ["ORDERS_MAX_INSTANCES"] = "8" });
        File.Copy(Path.Combine(edited.Folder, "deploy", "env", "prod.env"), Path.Combine(space.Folder, "deploy", "env", "prod.env"), overwrite: true);
        before = gcloud.Calls().Count;
        var run = await gcloud.UpAsync(space);
        var mutations = gcloud.Since(before).Where(c => c.Mutates).ToList();
        var update = Assert.Single(mutations, c => !unchanged.Contains(c.ToString()));
        Assert.Equal(["run", "services", "update", Orders, "--region=us-central1", "--max-instances=8", $"--project={ProjectId}"], update.Argv);
        Assert.Contains("==> ORDERS_MAX_INSTANCES: 4 -> 8\n", run.StandardError);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task An_entry_removed_from_space_is_removed_by_up_and_down_leaves_nothing_of_either(bool iam, bool connector, bool database)
    {
        using var space = SpaceWithEntries(iam, connector, database);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var schedulerSa = (string)gcloud.Resource("scheduler.jobs", "|" + NightlySchedule)["flags"]!["oauth-service-account-email"]!;
        var ordersBefore = gcloud.Resource("run.services", "|" + Orders).ToJsonString();

        space.RemoveEntry("nightly");
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var calls = gcloud.Since(before);
        Assert.Contains(calls, c => c.Is("run", "jobs", "delete", Nightly));
        Assert.Contains(calls, c => c.Is("scheduler", "jobs", "delete", NightlySchedule));
        Assert.Contains(calls, c => c.Is("iam", "service-accounts", "delete", NightlySa));
        Assert.Contains(calls, c => c.Is("iam", "service-accounts", "delete", schedulerSa));
        var left = gcloud.Resources();
        Assert.DoesNotContain(left, r => r.Contains("nightly", StringComparison.Ordinal) || r.Contains(schedulerSa, StringComparison.Ordinal));
        Assert.Empty(HeldBy(gcloud, $"serviceAccount:{NightlySa}"));
        Assert.Equal(ordersBefore, gcloud.Resource("run.services", "|" + Orders).ToJsonString());
        Assert.DoesNotContain(calls, c => c.Words.Contains(Orders) && c.Mutates && !c.Words.Contains("add-iam-policy-binding"));

        // Once removed, a further run removes nothing more.
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.DoesNotContain(gcloud.Since(before), c => c.Words.Contains("delete"));

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.DoesNotContain(gcloud.Resources(), r => r.Contains("orders", StringComparison.Ordinal) || r.Contains("nightly", StringComparison.Ordinal));
        Assert.Empty(gcloud.ProjectBindings());
        Assert.Empty(HeldBy(gcloud, $"serviceAccount:{OrdersSa}"));
    }

    [Fact]
    public async Task An_edited_job_size_is_one_update_of_the_job()
    {
        using var space = SpaceWithEntries(false, false, false);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        Assert.DoesNotContain(gcloud.Since(before), c => c.Is("run", "jobs", "update"));

        using var edited = SpaceWithEntries(false, false, false, new Dictionary<string, string?> { ["NIGHTLY_MEMORY"] = "1Gi", ["NIGHTLY_TASK_TIMEOUT"] = "900s" });
        File.Copy(Path.Combine(edited.Folder, "deploy", "env", "prod.env"), Path.Combine(space.Folder, "deploy", "env", "prod.env"), overwrite: true);
        before = gcloud.Calls().Count;
        var run = await gcloud.UpAsync(space);
        var update = Assert.Single(gcloud.Since(before), c => c.Is("run", "jobs", "update"));
        Assert.Equal(["run", "jobs", "update", Nightly, "--region=us-central1", "--memory=1Gi", "--task-timeout=900s", $"--project={ProjectId}"], update.Argv);
        Assert.Contains("==> NIGHTLY_MEMORY: 512Mi -> 1Gi\n", run.StandardError);
        Assert.DoesNotContain(gcloud.Since(before), c => c.Is("run", "services", "update") || c.Is("run", "jobs", "deploy"));
    }

    [Fact]
    public async Task A_password_rotation_moves_an_added_database_service_onto_the_new_login_before_the_old_one_is_disabled()
    {
        using var space = SpaceWithEntries(false, false, true);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var before = gcloud.Calls().Count;
        var rotation = await gcloud.RunAsync(space.Folder, "deploy/rotate-db-password.sh");
        Assert.True(rotation.ExitCode == 0, rotation.Output);
        var calls = gcloud.Since(before).ToList();
        var ordersUpdate = Assert.Single(calls, c => c.Is("run", "services", "update", Orders));
        Assert.Equal($"ConnectionStrings__Database={App}-prod-db-backend:2", ordersUpdate.Flag("--update-secrets"));
        var disable = Assert.Single(calls, c => c.Is("secrets", "versions", "disable"));
        Assert.True(calls.IndexOf(ordersUpdate) < calls.IndexOf(disable));
        Assert.Equal($"{App}-prod-db-backend:2", GcloudCall.ParseSecretRefs((string?)gcloud.Resource("run.services", "|" + Orders)["flags"]!["set-secrets"])["ConnectionStrings__Database"]);
    }

    [Fact]
    public async Task Down_removes_a_scheduled_job_with_its_scheduler_and_both_accounts()
    {
        using var space = SpaceWithEntries(false, false, false);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.DoesNotContain(gcloud.Resources(), r => r.StartsWith("scheduler.", StringComparison.Ordinal) || r.Contains("-sch@", StringComparison.Ordinal)
            || r.Contains("orders", StringComparison.Ordinal) || r.Contains("nightly", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_emptied_schedule_removes_the_scheduler_job_and_its_account_and_an_edited_one_is_one_update()
    {
        using var space = SpaceWithEntries(false, false, false);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var schedulerSa = (string)gcloud.Resource("scheduler.jobs", "|" + NightlySchedule)["flags"]!["oauth-service-account-email"]!;

        space.AddEntry("nightly", DeploySpace.JobEntry("Nightly", schedule: "\"30 4 * * 1\""));
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var update = Assert.Single(gcloud.Since(before), c => c.Is("scheduler", "jobs", "update", "http", NightlySchedule));
        Assert.Equal("30 4 * * 1", update.Flag("--schedule"));
        Assert.DoesNotContain(gcloud.Since(before), c => c.Is("scheduler", "jobs", "create"));

        space.AddEntry("nightly", DeploySpace.JobEntry("Nightly", schedule: ""));
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var calls = gcloud.Since(before);
        Assert.Contains(calls, c => c.Is("scheduler", "jobs", "delete", NightlySchedule));
        Assert.Contains(calls, c => c.Is("iam", "service-accounts", "delete", schedulerSa));
        Assert.Contains(gcloud.Resources(), r => r == $"run.jobs/|{Nightly}");
        Assert.DoesNotContain(gcloud.Resources(), r => r.StartsWith("scheduler.", StringComparison.Ordinal) || r.Contains(schedulerSa, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_service_added_to_a_space_that_is_up_is_built_deployed_and_given_to_the_frontend()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);

        space.AddEntry("orders", DeploySpace.ServiceEntry("Orders"));
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var calls = gcloud.Since(before);
        var build = Assert.Single(calls, c => c.Is("builds", "submit"));
        Assert.Contains("_ROLLOUT=false", build.Flag("--substitutions"));
        var orders = Assert.Single(calls, c => c.Is("run", "deploy", Orders));
        var frontend = Assert.Single(calls, c => c.Is("run", "deploy", Frontend));
        Assert.True(calls.ToList().IndexOf(orders) < calls.ToList().IndexOf(frontend));
        Assert.Contains("PrivateServices__orders__BaseUrl", UpDownTests.EnvVars(frontend).Keys);
        Assert.DoesNotContain(calls, c => c.Is("run", "deploy", Backend) || c.Is("run", "jobs", "deploy"));
        Assert.Equal([$"serviceAccount:{FrontendSa}"], Members(gcloud, "run.services", Orders, "roles/run.invoker"));
    }

    [Fact]
    public async Task A_stray_invoker_on_an_added_service_is_removed()
    {
        using var space = SpaceWithEntries(false, false, false);
        using var gcloud = new FakeGcloud();
        await gcloud.UpAsync(space);
        var stray = $"serviceAccount:{App}-prod-be@{ProjectId}.iam.gserviceaccount.com";
        // Granted by hand, outside the manifest.
        await ProcessAsync(gcloud, space, ["run", "services", "add-iam-policy-binding", Orders, "--region=us-central1", $"--member={stray}", "--role=roles/run.invoker", $"--project={ProjectId}"]);

        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var removal = Assert.Single(gcloud.Since(before), c => c.Is("run", "services", "remove-iam-policy-binding", Orders));
        Assert.Equal(stray, removal.Flag("--member"));
        Assert.Equal([$"serviceAccount:{FrontendSa}"], Members(gcloud, "run.services", Orders, "roles/run.invoker"));
    }

    [Fact]
    public async Task The_dry_run_shows_the_added_entries_calls_and_makes_none()
    {
        using var space = SpaceWithEntries(true, false, true);
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
        var printed = DryRunOutput.Calls(result.StandardOutput);
        Assert.Contains(printed, c => c.Is("iam", "service-accounts", "create", $"{App}-prod-orders"));
        Assert.Contains(printed, c => c.Is("iam", "service-accounts", "create", $"{App}-prod-nightly"));
        Assert.Contains(printed, c => c.Is("iam", "service-accounts", "create") && c.Words[3].EndsWith("-sch", StringComparison.Ordinal));
        Assert.Contains(printed, c => c.Is("run", "deploy", Orders) && c.Flag("--ingress") == "internal");
        Assert.Contains(printed, c => c.Is("run", "jobs", "deploy", Nightly));
        Assert.Contains(printed, c => c.Is("run", "services", "add-iam-policy-binding", Orders) && c.Flag("--role") == "roles/run.invoker");
        Assert.Contains(printed, c => c.Is("run", "jobs", "add-iam-policy-binding", Nightly) && c.Flag("--role") == "roles/run.invoker");
        Assert.Contains(printed, c => c.Is("scheduler", "jobs", "create", "http", NightlySchedule));
        Assert.Contains(printed, c => c.Is("sql", "users", "create", $"{App}-prod-orders@{ProjectId}.iam"));
        // What an earlier run deployed for entries no longer listed is looked up (read even on a dry run, to show it).
        Assert.Contains(gcloud.Calls(), c => c.Is("run", "services", "list") && c.Flag("--filter") == $"metadata.labels.space={App}-prod");
        Assert.Contains(gcloud.Calls(), c => c.Is("run", "jobs", "list") && c.Flag("--filter") == $"metadata.labels.space={App}-prod");
    }

    private static async Task ProcessAsync(FakeGcloud gcloud, DeploySpace space, string[] argv)
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(gcloud.Environment["PATH"]!.Split(Path.PathSeparator)[0], "gcloud"), argv,
            space.Folder, TimeSpan.FromMinutes(1), gcloud.Environment, TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private static void AssertDatabase(FakeGcloud gcloud, IReadOnlyList<GcloudCall> calls, GcloudCall orders, bool iam, bool database)
    {
        var migrate = UpDownTests.EnvVars(Assert.Single(calls, c => c.Is("run", "jobs", "deploy", MigrateJob)));
        var ordersUser = $"{App}-prod-orders@{ProjectId}.iam";
        if (!database)
        {
            Assert.Empty(orders.SecretRefs);
            Assert.DoesNotContain(calls, c => c.Is("sql", "users", "create", ordersUser));
            Assert.DoesNotContain(ordersUser, migrate["Database__GrantTo"]);
            return;
        }

        Assert.Contains("/secrets/db-ca/server-ca.pem", orders.SecretRefs.Keys);
        if (iam)
        {
            Assert.Equal($"{App}-prod-db-orders:1", orders.SecretRefs["ConnectionStrings__Database"]);
            Assert.Contains(calls, c => c.Is("sql", "users", "create", ordersUser) && c.Flag("--type") == "cloud_iam_service_account");
            Assert.Equal($"{App}-prod-be@{ProjectId}.iam,{ordersUser}", migrate["Database__GrantTo"]);
            Assert.Contains(gcloud.ProjectBindings(), b => b == $"serviceAccount:{OrdersSa} roles/cloudsql.instanceUser");
            var secret = (string)gcloud.Resource("secrets", $"|{App}-prod-db-orders")["versions"]![0]!;
            Assert.Contains($"Username={ordersUser};", secret);
            Assert.EndsWith("Maximum Pool Size=5", secret);
        }
        else
        {
            Assert.StartsWith($"{App}-prod-db-backend:", orders.SecretRefs["ConnectionStrings__Database"]);
            Assert.Contains($"serviceAccount:{OrdersSa}", Members(gcloud, "secrets", $"{App}-prod-db-backend", "roles/secretmanager.secretAccessor"));
            Assert.Equal("app_a,app_b", migrate["Database__GrantTo"]);
        }
    }

    /// <summary>The members holding ROLE on one resource.</summary>
    public static IReadOnlyList<string> Members(FakeGcloud gcloud, string kind, string name, string role) =>
        gcloud.Resource(kind, "|" + name)["bindings"]!.AsArray().Select(b => b!.AsArray())
            .Where(b => (string)b[1]! == role).Select(b => (string)b[0]!).ToList();

    /// <summary>What MEMBER holds: "kind/key role" for every resource binding, and "project role" for project bindings.</summary>
    public static IReadOnlyList<string> HeldBy(FakeGcloud gcloud, string member)
    {
        var held = new List<string>();
        foreach (var kind in Directory.Exists(Path.Combine(gcloud.StateFolder, "resources")) ? Directory.GetDirectories(Path.Combine(gcloud.StateFolder, "resources")) : [])
        {
            foreach (var (key, resource) in gcloud.ResourcesByName(Path.GetFileName(kind)))
            {
                held.AddRange(resource["bindings"]!.AsArray().Select(b => b!.AsArray()).Where(b => (string)b[0]! == member)
                    .Select(b => $"{Path.GetFileName(kind)}/{key} {(string)b[1]!}"));
            }
        }

        held.AddRange(gcloud.ProjectBindings().Where(b => b.StartsWith(member + " ", StringComparison.Ordinal)).Select(b => "project " + b[(member.Length + 1)..]));
        return held;
    }
}
