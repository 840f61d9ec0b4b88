using System.Text.RegularExpressions;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>Names derived from a long app name stay within GCP's limits, unique and stable.</summary>
public sealed partial class ResourceNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("acme-shop")]
    [InlineData("a-very-long-application-name-that-goes-on-and-on-beyond-every-limit")]
    public async Task Derived_names_respect_gcp_limits(string app)
    {
        var names = await NamesAsync(app, "staging");
        var accounts = names.Accounts;
        Assert.Equal(4, accounts.Distinct().Count());
        Assert.All(accounts, id => Assert.Matches(ServiceAccountId(), id));
        Assert.Equal(3, names.RunNames.Distinct().Count());
        Assert.All(names.RunNames, n => Assert.True(n.Length <= 49 && RunName().IsMatch(n), n));
        Assert.True(names.Connector.Length <= 25 && RunName().IsMatch(names.Connector), names.Connector);
        // Bucket names are global: 3-63 characters, and the project id in them.
        Assert.True(names.Bucket.Length <= 63 && BucketName().IsMatch(names.Bucket), names.Bucket);
        Assert.StartsWith("my-gcp-project-", names.Bucket);

        // The same input gives the same names; another environment gives other names.
        var again = await NamesAsync(app, "staging");
        Assert.Equal(accounts, again.Accounts);
        Assert.Equal(names.Bucket, again.Bucket);
        var prod = await NamesAsync(app, "prod");
        Assert.Empty(accounts.Intersect(prod.Accounts));
        Assert.NotEqual(names.Bucket, prod.Bucket);
    }

    private sealed record Names(IReadOnlyList<string> Accounts, IReadOnlyList<string> RunNames, string Connector, string Bucket);

    private static async Task<Names> NamesAsync(string app, string environment)
    {
        using var space = new DeploySpace();
        space.WriteEnv(environment, connector: true, settings: new Dictionary<string, string?> { ["APP"] = app });
        using var gcloud = new FakeGcloud();
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--env", environment, "--dry-run");
        Assert.True(result.ExitCode == 0, result.Output);
        var calls = DryRunOutput.Calls(result.StandardOutput);
        return new Names(
            calls.Where(c => c.Is("iam", "service-accounts", "create")).Select(c => c.Words[3]).ToList(),
            calls.Where(c => c.Is("run", "deploy") || c.Is("run", "jobs", "deploy")).Select(c => c.Words[^1]).ToList(),
            calls.Single(c => c.Is("compute", "networks", "vpc-access", "connectors", "create")).Words[^1],
            calls.Single(c => c.Is("storage", "buckets", "create") && c.Words[^1].EndsWith("-dp-keys", StringComparison.Ordinal)).Words[^1]["gs://".Length..]);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]
    private static partial Regex ServiceAccountId();

    [GeneratedRegex("^[a-z]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex RunName();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
