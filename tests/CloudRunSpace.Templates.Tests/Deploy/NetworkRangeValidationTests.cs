namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The network ranges are exactly RFC 1918 (10/8, 172.16/12, 192.168/16), written with their network
/// address, and apart from each other: anything else stops up.sh before any gcloud call.
/// </summary>
public sealed class NetworkRangeValidationTests
{
    public static TheoryData<bool, string, string, string> BadRanges => new()
    {
        { false, "SUBNET_RANGE", "172.32.0.0/16", "SUBNET_RANGE=172.32.0.0/16 is not a private range: use part of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918)" },
        { false, "SUBNET_RANGE", "172.15.0.0/16", "is not a private range" },
        { false, "SUBNET_RANGE", "192.169.0.0/24", "is not a private range" },
        { false, "SUBNET_RANGE", "11.0.0.0/24", "is not a private range" },
        { false, "SUBNET_RANGE", "8.8.8.0/24", "is not a private range" },
        { false, "SUBNET_RANGE", "172.16.0.0/11", "is not a private range" },
        { false, "SUBNET_RANGE", "192.168.0.0/15", "is not a private range" },
        { false, "SUBNET_RANGE", "10.300.0.0/24", "SUBNET_RANGE=10.300.0.0/24: 300 is not an address byte (0 to 255)" },
        { false, "SUBNET_RANGE", "10.10.0.999/24", "999 is not an address byte" },
        { false, "SUBNET_RANGE", "10.10.0.1/24", "SUBNET_RANGE=10.10.0.1/24: a /24 range starts at a multiple of 256 addresses; did you mean 10.10.0.0/24?" },
        { false, "SUBNET_RANGE", "10.10.1.0/16", "did you mean 10.10.0.0/16?" },
        { false, "SUBNET_RANGE", "10.10.0.0/27", "expected a private IPv4 range with a /8 to /26 prefix" },
        { false, "SUBNET_RANGE", "10.10.0.0", "expected a private IPv4 range such as 10.10.0.0/24" },
        { false, "SUBNET_RANGE", "10.10.0.0/24 ", "expected a private IPv4 range such as 10.10.0.0/24" },
        { false, "FRONTEND_SUBNET_RANGE", "10.10.0.128/26", "FRONTEND_SUBNET_RANGE=10.10.0.128/26 overlaps SUBNET_RANGE=10.10.0.0/24" },
        { false, "FRONTEND_SUBNET_RANGE", "10.0.0.0/8", "overlaps SUBNET_RANGE" },
        { false, "FRONTEND_SUBNET_RANGE", "192.168.1.1/24", "did you mean 192.168.1.0/24?" },
        { false, "FRONTEND_SUBNET_RANGE", "", "FRONTEND_SUBNET_RANGE is required when EGRESS=direct-vpc" },
        { true, "CONNECTOR_RANGE", "10.10.0.16/28", "CONNECTOR_RANGE=10.10.0.16/28 overlaps SUBNET_RANGE=10.10.0.0/24" },
        { true, "CONNECTOR_RANGE", "10.8.0.8/28", "did you mean 10.8.0.0/28?" },
        { true, "CONNECTOR_RANGE", "100.64.0.0/28", "is not a private range" },
        { true, "CONNECTOR_RANGE", "10.8.0.0/27", "with a /28 to /28 prefix" },
    };

    [Theory]
    [MemberData(nameof(BadRanges))]
    public async Task A_bad_range_stops_up_before_any_gcloud_call(bool connector, string key, string value, string message)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", connector: connector, settings: new Dictionary<string, string?> { [key] = value });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error:", result.StandardError);
        Assert.Contains(message, result.StandardError);
        Assert.Empty(DryRunOutput.Calls(result.StandardOutput));
        Assert.Empty(gcloud.Calls());
    }

    [Theory]
    [InlineData("10.0.0.0/8", "192.168.0.0/16", null)]
    [InlineData("172.16.0.0/12", "10.11.0.0/24", null)]
    [InlineData("172.31.255.192/26", "172.31.255.128/26", null)]
    [InlineData("192.168.255.0/24", "192.168.0.0/26", "192.168.254.0/28")]
    public async Task Every_rfc1918_block_is_accepted_to_its_edges(string subnet, string frontendSubnet, string? connectorRange)
    {
        using var space = new DeploySpace();
        var connector = connectorRange is not null;
        space.WriteEnv("prod", connector: connector, settings: new Dictionary<string, string?>
        {
            ["SUBNET_RANGE"] = subnet,
            [connector ? "CONNECTOR_RANGE" : "FRONTEND_SUBNET_RANGE"] = connector ? connectorRange : frontendSubnet,
        });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains(DryRunOutput.Calls(result.StandardOutput), c => c.Is("compute", "networks", "subnets", "create") && c.Flag("--range") == subnet);
    }
}
