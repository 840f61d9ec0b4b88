using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// Cloud NAT serves only the subnet the frontend's internet egress leaves from: the frontend's own subnet
/// with Direct VPC egress, the connector's subnet with a connector. The backend and the migration job
/// (private ranges only) sit where NAT does not reach.
/// </summary>
public sealed class NetworkTests
{
    private const string BackendSubnet = App + "-prod-run";
    private const string FrontendSubnet = App + "-prod-frontend";
    private const string ConnectorSubnet = App + "-prod-vpc";
    // The connector's name is cut to 25 characters (names.sh).
    private const string Connector = "cloudrunspace-ap-336a-vpc";

    [Theory]
    [MemberData(nameof(All), MemberType = typeof(SpaceVariants))]
    public async Task Nat_serves_only_the_subnet_of_the_frontends_egress(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();

        // The dry run prints every create with its flags (nothing is assumed to exist); UpDownTests runs
        // the same calls against the stand-in for every variant, twice, and tears them down.
        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(up.ExitCode == 0, up.Output);
        var calls = DryRunOutput.Calls(up.StandardOutput);
        var natSubnet = connector ? ConnectorSubnet : FrontendSubnet;
        var nat = Assert.Single(calls, c => c.Is("compute", "routers", "nats", "create"));
        Assert.Equal(natSubnet, nat.Flag("--nat-custom-subnet-ip-ranges"));
        Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.StartsWith("--nat-all-subnet-ip-ranges", StringComparison.Ordinal) || a.StartsWith("--nat-primary-subnet-ip-ranges", StringComparison.Ordinal)));

        var subnets = calls.Where(c => c.Is("compute", "networks", "subnets", "create")).ToDictionary(c => c.Words[4], c => c.Flag("--range"));
        Assert.Equal(new Dictionary<string, string?> { [BackendSubnet] = "10.10.0.0/24", [natSubnet] = connector ? "10.8.0.0/28" : "10.11.0.0/24" }, subnets);
        Assert.All(calls.Where(c => c.Is("compute", "networks", "subnets", "create")), c => Assert.True(c.Has("--enable-private-ip-google-access"), c.ToString()));

        var frontend = Assert.Single(calls, c => c.Is("run", "deploy", Frontend));
        var backend = Assert.Single(calls, c => c.Is("run", "deploy", Backend));
        var job = Assert.Single(calls, c => c.Is("run", "jobs", "deploy", MigrateJob));
        Assert.Equal("all-traffic", frontend.Flag("--vpc-egress"));
        Assert.Equal("private-ranges-only", backend.Flag("--vpc-egress"));
        Assert.Equal("private-ranges-only", job.Flag("--vpc-egress"));
        if (connector)
        {
            var create = Assert.Single(calls, c => c.Is("compute", "networks", "vpc-access", "connectors", "create"));
            Assert.Equal(ConnectorSubnet, create.Flag("--subnet"));
            Assert.Null(create.Flag("--range"));
            Assert.Null(create.Flag("--network"));
            Assert.True(Index(calls, create) > Index(calls, c => c.Is("compute", "networks", "subnets", "create", ConnectorSubnet)), "the connector was made before its subnet");
            Assert.All(new[] { frontend, backend, job }, c => Assert.Equal(Connector, c.Flag("--vpc-connector")));
            Assert.All(new[] { frontend, backend, job }, c => Assert.Null(c.Flag("--subnet")));
        }
        else
        {
            Assert.Equal(FrontendSubnet, frontend.Flag("--subnet"));
            Assert.Equal(BackendSubnet, backend.Flag("--subnet"));
            Assert.Equal(BackendSubnet, job.Flag("--subnet"));
        }

        // down.sh deletes the NAT and the connector before the subnets they use, then (with the database) the network.
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", "--delete-database=cloudrunspace-app-prod-db", "--dry-run");
        Assert.True(down.ExitCode == 0, down.Output);
        var deletes = DryRunOutput.Calls(down.StandardOutput);
        var subnetDeletes = deletes.Where(c => c.Is("compute", "networks", "subnets", "delete")).Select(c => c.Words[4]).ToList();
        Assert.Equal([natSubnet, BackendSubnet], subnetDeletes);
        var firstSubnetDelete = Index(deletes, c => c.Is("compute", "networks", "subnets", "delete"));
        Assert.True(Index(deletes, c => c.Is("compute", "routers", "nats", "delete")) < firstSubnetDelete);
        Assert.Equal(connector, deletes.Any(c => c.Is("compute", "networks", "vpc-access", "connectors", "delete")));
        Assert.True(!connector || Index(deletes, c => c.Is("compute", "networks", "vpc-access", "connectors", "delete")) < firstSubnetDelete);
        Assert.True(Index(deletes, c => c.Is("compute", "networks", "delete")) > firstSubnetDelete);
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    private static int Index(IReadOnlyList<GcloudCall> calls, GcloudCall call) => calls.ToList().IndexOf(call);

    private static int Index(IReadOnlyList<GcloudCall> calls, Func<GcloudCall, bool> match) => calls.ToList().FindIndex(c => match(c));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cloud_builds_frontend_deploy_uses_the_same_egress(bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", connector: connector);
        using var gcloud = new FakeGcloud();
        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        gcloud.Seed("secrets", App + "-prod-dp-cert", ["certificate"]);
        var result = await gcloud.RunBuildStepAsync(space.Folder, "frontend", "--env", "prod", "--tag", "abc1234");
        Assert.True(result.ExitCode == 0, result.Output);
        var deploy = Assert.Single(gcloud.Calls(), c => c.Is("run", "deploy", Frontend));
        Assert.Equal(connector ? null : FrontendSubnet, deploy.Flag("--subnet"));
        Assert.Equal(connector ? Connector : null, deploy.Flag("--vpc-connector"));
    }
}
