using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// STATIC_EGRESS_IP=true: Cloud NAT sends the frontend's egress from a reserved address, which up.sh prints for
/// partners' allow-lists; a second run changes nothing; false again gives the NAT Google's addresses and releases the
/// reserved one; down.sh deletes it after the NAT.
/// </summary>
public sealed class StaticEgressIpTests
{
    private const string Address = App + "-prod-egress-ip";
    private const string Nat = App + "-prod-nat";

    private static bool TouchesEgress(GcloudCall c) =>
        c.Words.Any(w => w is "create" or "update" or "delete") && (c.Is("compute", "routers", "nats") || c.Argv.Contains(Address));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_nat_uses_the_reserved_address_once_and_gives_it_back_when_turned_off(bool connector)
    {
        using var space = new DeploySpace();
        var on = new Dictionary<string, string?> { ["STATIC_EGRESS_IP"] = "true" };
        space.WriteEnv("prod", connector: connector, settings: on);
        using var gcloud = new FakeGcloud();

        var up = await gcloud.UpAsync(space);
        var calls = gcloud.Calls();
        var reserve = Assert.Single(calls, c => c.Is("compute", "addresses", "create", Address));
        Assert.Equal("us-central1", reserve.Flag("--region"));
        var nat = Assert.Single(calls, c => c.Is("compute", "routers", "nats", "create", Nat));
        Assert.Equal(Address, nat.Flag("--nat-external-ip-pool"));
        Assert.False(nat.Has("--auto-allocate-nat-external-ips"), nat.ToString());
        Assert.True(calls.ToList().IndexOf(reserve) < calls.ToList().IndexOf(nat));
        Assert.Matches(@"Outbound IP \(for allow-lists\): 34\.\d+\.\d+\.\d+", up.StandardOutput);

        Assert.DoesNotContain(await gcloud.UpCallsAsync(space), TouchesEgress);

        space.WriteEnv("prod", connector: connector);
        var before = gcloud.Calls().Count;
        var off = await gcloud.UpAsync(space);
        var offCalls = gcloud.Since(before).Where(TouchesEgress).Select(c => string.Join(' ', c.Words.Take(4))).ToList();
        Assert.Equal(["compute routers nats update", "compute addresses delete " + Address], offCalls);
        Assert.DoesNotContain(gcloud.Resources(), r => r.Contains(Address, StringComparison.Ordinal));
        Assert.DoesNotContain("Outbound IP", off.StandardOutput, StringComparison.Ordinal);

        Assert.DoesNotContain(await gcloud.UpCallsAsync(space), TouchesEgress);
    }

    [Fact]
    public async Task Down_deletes_the_address_after_the_nat_and_the_dry_runs_show_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?> { ["STATIC_EGRESS_IP"] = "true" });
        using var gcloud = new FakeGcloud();
        var dry = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.Output);
        Assert.Contains(DryRunOutput.Calls(dry.StandardOutput), c => c.Is("compute", "addresses", "create", Address));
        Assert.Equal(Address, Assert.Single(DryRunOutput.Calls(dry.StandardOutput), c => c.Is("compute", "routers", "nats", "create")).Flag("--nat-external-ip-pool"));

        await gcloud.UpAsync(space);
        var dryDown = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", "--dry-run");
        Assert.Contains(DryRunOutput.Calls(dryDown.StandardOutput), c => c.Is("compute", "addresses", "delete", Address));
        var before = gcloud.Calls().Count;
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        var downCalls = gcloud.Since(before).ToList();
        Assert.True(downCalls.FindIndex(c => c.Is("compute", "routers", "nats", "delete")) < downCalls.FindIndex(c => c.Is("compute", "addresses", "delete", Address)));
        Assert.DoesNotContain(gcloud.Resources(), r => r.Contains(Address, StringComparison.Ordinal));
    }
}
