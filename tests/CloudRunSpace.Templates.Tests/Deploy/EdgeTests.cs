using static CloudRunSpace.Templates.Tests.Deploy.SpaceVariants;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// EDGE=load-balancer puts a global external Application Load Balancer with a Cloud Armor policy in front of the
/// frontend (whose ingress then admits the load balancer only); a second run changes nothing, a changed Armor setting
/// updates the rules in place, EDGE=direct (the default) restores ingress all and deletes it all, and down.sh removes it.
/// </summary>
public sealed class EdgeTests
{
    private const string Prefix = App + "-prod-edge";
    private const string Domain = "shop.example.com";

    private static Dictionary<string, string?> LoadBalancer(string? trusted = "203.0.113.0/24,198.51.100.7") => new()
    {
        ["EDGE"] = "load-balancer",
        ["DOMAIN"] = Domain,
        ["TRUSTED_IP_RANGES"] = trusted,
    };

    private static IReadOnlyList<string> EdgeResources(FakeGcloud gcloud) =>
        gcloud.Resources().Where(r => r.Contains(Prefix, StringComparison.Ordinal)).ToList();

    private static bool Changes(GcloudCall c) =>
        c.Words.Any(w => w is "create" or "update" or "delete" or "import" or "add-backend" or "deploy");

    [Fact]
    public async Task The_load_balancer_is_made_once_reconciled_in_place_and_removed_when_edge_is_direct_again()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: LoadBalancer());
        using var gcloud = new FakeGcloud();

        var first = await gcloud.UpAsync(space);
        var calls = gcloud.Calls();
        var neg = Assert.Single(calls, c => c.Is("compute", "network-endpoint-groups", "create"));
        Assert.Equal($"serverless|{Frontend}|us-central1", string.Join('|', neg.Flag("--network-endpoint-type"), neg.Flag("--cloud-run-service"), neg.Flag("--region")));
        var waf = calls.Where(c => c.Is("compute", "security-policies", "rules", "create") && c.Flag("--expression") is not null).ToList();
        Assert.Equal(
            ["sqli-v33-stable", "xss-v33-stable", "lfi-v33-stable", "rfi-v33-stable"],
            waf.Select(c => c.Flag("--expression")!.Split('\'')[1]));
        Assert.All(waf, c => Assert.Contains("{'sensitivity': 1}", c.Flag("--expression"), StringComparison.Ordinal));
        Assert.All(waf, c => Assert.Equal("deny-403", c.Flag("--action")));
        var throttle = Assert.Single(calls, c => c.Is("compute", "security-policies", "rules", "create") && c.Flag("--action") == "throttle");
        Assert.Equal("203.0.113.0/24,198.51.100.7|IP|600|60|deny-429",
            string.Join('|', throttle.Flag("--src-ip-ranges"), throttle.Flag("--enforce-on-key"), throttle.Flag("--rate-limit-threshold-count"), throttle.Flag("--rate-limit-threshold-interval-sec"), throttle.Flag("--exceed-action")));
        var defaultRule = Assert.Single(calls, c => c.Is("compute", "security-policies", "rules", "update", "2147483647"));
        Assert.Equal("deny-403", defaultRule.Flag("--action"));
        Assert.Contains(calls, c => c.Is("compute", "backend-services", "update", Prefix + "-backend") && c.Flag("--security-policy") == Prefix + "-armor");
        Assert.Equal(Domain, Assert.Single(calls, c => c.Is("compute", "ssl-certificates", "create")).Flag("--domains"));
        var rules = calls.Where(c => c.Is("compute", "forwarding-rules", "create")).ToList();
        Assert.Equal(["443", "80"], rules.Select(c => c.Flag("--ports")));
        Assert.All(rules, c => Assert.Equal("EXTERNAL_MANAGED", c.Flag("--load-balancing-scheme")));
        Assert.Contains(calls, c => c.Is("compute", "url-maps", "import", Prefix + "-redirect"));
        var frontend = Assert.Single(calls, c => c.Is("run", "deploy", Frontend));
        Assert.Equal("internal-and-cloud-load-balancing", frontend.Flag("--ingress"));
        Assert.Contains("##FrontEnd__ProxyHops=2", frontend.Flag("--set-env-vars"), StringComparison.Ordinal);
        Assert.Matches(@"Edge: https://shop\.example\.com \(point its DNS A record at 34\.\d+\.\d+\.\d+", first.StandardOutput);
        var made = EdgeResources(gcloud);
        Assert.Equal(11 + 6, made.Count); // 11 pieces, the policy's 5 rules and its default rule

        // A second run changes nothing.
        Assert.DoesNotContain(await gcloud.UpCallsAsync(space), c => Changes(c) && c.Argv.Any(a => a.Contains(Prefix, StringComparison.Ordinal) || a.StartsWith("--ingress", StringComparison.Ordinal)));
        Assert.Equal(made, EdgeResources(gcloud));

        // A changed Armor setting updates the rules in place; nothing is made again.
        space.WriteEnv("prod", settings: new Dictionary<string, string?>(LoadBalancer(trusted: null)) { ["WAF_SENSITIVITY"] = "2" });
        var before = gcloud.Calls().Count;
        var edited = await gcloud.UpAsync(space);
        var editCalls = gcloud.Since(before).Where(Changes).ToList();
        Assert.DoesNotContain(editCalls, c => c.Words.Contains("create"));
        Assert.Equal(4, editCalls.Count(c => c.Is("compute", "security-policies", "rules", "update") && c.Flag("--expression")?.Contains("{'sensitivity': 2}", StringComparison.Ordinal) == true));
        Assert.Equal("*", Assert.Single(editCalls, c => c.Flag("--action") == "throttle").Flag("--src-ip-ranges"));
        Assert.Equal("allow", Assert.Single(editCalls, c => c.Is("compute", "security-policies", "rules", "update", "2147483647")).Flag("--action"));
        Assert.Contains("Cloud Armor policy " + Prefix + "-armor: waf=1 rate=600/min trusted=203.0.113.0/24,198.51.100.7 -> waf=2 rate=600/min trusted=any", edited.StandardError);

        // EDGE=direct: ingress all again first, then every piece deleted.
        space.WriteEnv("prod");
        before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        var offCalls = gcloud.Since(before).ToList();
        var ingress = Assert.Single(offCalls, c => c.Is("run", "services", "update", Frontend) && c.Flag("--ingress") is not null);
        Assert.Equal("all|FrontEnd__ProxyHops=1", string.Join('|', ingress.Flag("--ingress"), ingress.Flag("--update-env-vars")));
        Assert.True(offCalls.IndexOf(ingress) < offCalls.FindIndex(c => c.Is("compute", "forwarding-rules", "delete")));
        Assert.Empty(EdgeResources(gcloud));

        // A second direct run has nothing to delete.
        Assert.DoesNotContain(await gcloud.UpCallsAsync(space), c => Changes(c) && c.Argv.Any(a => a.Contains(Prefix, StringComparison.Ordinal) || a.StartsWith("--ingress", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Direct_is_the_default_and_makes_no_load_balancer()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        var up = await gcloud.UpAsync(space);
        var calls = gcloud.Calls();
        Assert.DoesNotContain(calls, c => Changes(c) && c.Argv.Any(a => a.Contains(Prefix, StringComparison.Ordinal)));
        var frontend = Assert.Single(calls, c => c.Is("run", "deploy", Frontend));
        Assert.Equal("all", frontend.Flag("--ingress"));
        Assert.Contains("##FrontEnd__ProxyHops=1", frontend.Flag("--set-env-vars"), StringComparison.Ordinal);
        Assert.DoesNotContain("Edge:", up.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Down_removes_the_load_balancer_before_the_frontend_and_the_dry_runs_show_it()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: LoadBalancer());
        using var gcloud = new FakeGcloud();

        var dryUp = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(dryUp.ExitCode == 0, dryUp.Output);
        var printed = DryRunOutput.Calls(dryUp.StandardOutput);
        foreach (var kind in new[] { "addresses", "network-endpoint-groups", "security-policies", "backend-services", "url-maps", "ssl-certificates", "target-https-proxies", "target-http-proxies", "forwarding-rules" })
        {
            Assert.Contains(printed, c => c.Is("compute", kind, "create") || c.Is("compute", kind, "import"));
        }

        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);

        await gcloud.UpAsync(space);
        var dryDown = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", "--dry-run");
        Assert.True(dryDown.ExitCode == 0, dryDown.Output);
        Assert.Equal(11, DryRunOutput.Calls(dryDown.StandardOutput).Count(c => c.Words.Contains("delete") && c.Argv.Any(a => a.Contains(Prefix, StringComparison.Ordinal))));

        var before = gcloud.Calls().Count;
        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Empty(EdgeResources(gcloud));
        var downCalls = gcloud.Since(before).ToList();
        Assert.True(downCalls.FindLastIndex(c => c.Is("compute", "addresses", "delete", Prefix + "-ip")) < downCalls.FindIndex(c => c.Is("run", "services", "delete", Frontend)));
    }

    [Theory]
    [InlineData("https://shop.example.com", null, "expected a lowercase fully qualified domain name")]
    [InlineData("*.example.com", null, "expected a lowercase fully qualified domain name")]
    [InlineData(Domain, "203.0.113.0/33", "expected a /1 to /32 prefix")]
    [InlineData(Domain, "203.0.113.5/24", "starts at a multiple of 256 addresses")]
    [InlineData(Domain, "203.0.113.0/24,not-an-ip", "'not-an-ip' is not an IPv4 address")]
    public async Task A_bad_domain_or_trusted_range_stops_up_before_any_gcloud_call(string domain, string? trusted, string message)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", settings: new Dictionary<string, string?>(LoadBalancer(trusted)) { ["DOMAIN"] = domain });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
        Assert.Empty(gcloud.Calls());
    }
}
