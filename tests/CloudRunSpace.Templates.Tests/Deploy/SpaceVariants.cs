namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>The four db-auth × egress variants of a <see cref="DeploySpace"/>, and the names its resources get.</summary>
public static class SpaceVariants
{
    public const string App = "cloudrunspace-app";
    public const string ProjectId = "my-gcp-project";
    public const string Backend = App + "-prod-backend";
    public const string Frontend = App + "-prod-frontend";
    public const string MigrateJob = App + "-prod-migrate";
    public const string Deployer = "serviceAccount:" + App + "-prod-deploy@" + ProjectId + ".iam.gserviceaccount.com";

    /// <summary>iam: DB_AUTH=iam; connector: EGRESS=connector.</summary>
    public static TheoryData<bool, bool> All => new()
    {
        { false, false },
        { false, true },
        { true, false },
        { true, true },
    };

    /// <summary>The calls logged after the first <paramref name="skip"/>.</summary>
    public static IReadOnlyList<GcloudCall> Since(this FakeGcloud gcloud, int skip) => gcloud.Calls().Skip(skip).ToList();

    /// <summary>Runs deploy/up.sh (failing the test when it fails) and returns the calls it made.</summary>
    public static async Task<IReadOnlyList<GcloudCall>> UpCallsAsync(this FakeGcloud gcloud, DeploySpace space)
    {
        var before = gcloud.Calls().Count;
        await gcloud.UpAsync(space);
        return gcloud.Since(before);
    }

    /// <summary>Runs deploy/up.sh and fails the test when it fails.</summary>
    public static async Task<ProcessResult> UpAsync(this FakeGcloud gcloud, DeploySpace space)
    {
        var result = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(result.ExitCode == 0, result.Output);
        return result;
    }
}
