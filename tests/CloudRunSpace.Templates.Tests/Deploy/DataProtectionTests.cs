namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The frontend's shared Data Protection key ring beyond a first up.sh (UpDownTests covers that for every
/// variant): a certificate that exists is never replaced and its version is pinned wherever the frontend is
/// deployed, a missing version is made once, --dry-run makes nothing, and a failed openssl leaves nothing.
/// </summary>
public sealed class DataProtectionTests
{
    private const string App = "cloudrunspace-app";
    private const string ProjectId = "my-gcp-project";
    private static readonly string Bucket = DataProtectionAssertions.Bucket(ProjectId, App);
    private static readonly string Secret = DataProtectionAssertions.Secret(App);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task An_existing_certificate_is_kept_and_its_version_pinned_by_up_cloud_build_and_a_canary(bool iam, bool connector)
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod", iam, connector);
        using var gcloud = new FakeGcloud();
        // As after earlier runs: the bucket exists and the secret has three versions.
        gcloud.Seed("storage.buckets", $"gs://{Bucket}");
        gcloud.Seed("secrets", Secret, ["certificate 1", "certificate 2", "certificate 3"]);
        gcloud.StubCommand("openssl", 1, "openssl must not run when the certificate exists");

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        var fromUp = gcloud.Calls();
        Assert.Empty(gcloud.StubCalls("openssl"));
        Assert.DoesNotContain(fromUp, c => c.Is("storage", "buckets", "create", $"gs://{Bucket}") || c.Is("secrets", "create", Secret) || c.Is("secrets", "versions", "add", Secret));
        Assert.Equal(["certificate 1", "certificate 2", "certificate 3"], gcloud.Resource("secrets", "|" + Secret)["versions"]!.AsArray().Select(v => (string)v!));
        DataProtectionAssertions.AssertFrontendFlags(Assert.Single(fromUp, c => c.Is("run", "deploy", $"{App}-prod-frontend")), Bucket, Secret, "3");
        // The bindings are (re)made on what exists.
        var frontendSa = $"serviceAccount:{App}-prod-fe@{ProjectId}.iam.gserviceaccount.com";
        Assert.Equal([$"{frontendSa} roles/storage.objectUser"], DataProtectionAssertions.Bindings(gcloud.Resource("storage.buckets", $"|gs://{Bucket}")));
        Assert.Contains($"{frontendSa} roles/secretmanager.secretAccessor", DataProtectionAssertions.Bindings(gcloud.Resource("secrets", "|" + Secret)));

        gcloud.Environment["PROJECT_NUMBER"] = FakeGcloud.ProjectNumber;
        var plan = Path.Combine(space.Folder, "release.env");
        var planned = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "plan", "--env", "prod", "--tag", "abc1234", "--plan", plan);
        Assert.True(planned.ExitCode == 0, planned.Output);
        var build = await gcloud.RunAsync(space.Folder, "deploy/cloudbuild-step.sh", "frontend", "--env", "prod", "--region", "us-central1", "--tag", "abc1234", "--plan", plan);
        Assert.True(build.ExitCode == 0, build.Output);
        var canary = await gcloud.RunAsync(space.Folder, "deploy/traffic.sh", "canary", "frontend", "--image-tag", "abc1234");
        Assert.True(canary.ExitCode == 0, canary.Output);
        var deploys = gcloud.Calls().Skip(fromUp.Count).Where(c => c.Is("run", "deploy", $"{App}-prod-frontend")).ToList();
        Assert.Equal(2, deploys.Count);
        Assert.All(deploys, d => DataProtectionAssertions.AssertFrontendFlags(d, Bucket, Secret, "3"));
    }

    [Fact]
    public async Task A_certificate_secret_without_a_version_gets_exactly_one_from_a_private_file()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.Seed("secrets", Secret); // made by hand, or by a run that stopped halfway

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.True(up.ExitCode == 0, up.Output);
        var calls = gcloud.Calls();
        Assert.DoesNotContain(calls, c => c.Is("secrets", "create", Secret));
        var add = Assert.Single(calls, c => c.Is("secrets", "versions", "add", Secret));
        var secret = gcloud.Resource("secrets", "|" + Secret);
        var pem = (string)Assert.Single(secret["versions"]!.AsArray())!;
        var file = Assert.Single(secret["data_files"]!.AsArray())!;
        Assert.Equal(add.Flag("--data-file"), (string?)file["path"]);
        Assert.Equal("0o600", (string?)file["mode"]);
        Assert.Equal("0o700", (string?)file["folder_mode"]);
        Assert.Empty(gcloud.LeftInTempFolder());
        DataProtectionAssertions.AssertCertificate(gcloud, pem);
        DataProtectionAssertions.AssertNothingOfTheKeyIsShown(pem, calls, up);
        DataProtectionAssertions.AssertFrontendFlags(Assert.Single(calls, c => c.Is("run", "deploy", $"{App}-prod-frontend")), Bucket, Secret, "1");
    }

    [Fact]
    public async Task Dry_run_prints_the_key_ring_calls_and_generates_no_certificate()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.StubCommand("openssl", 1, "openssl must not run on --dry-run");

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh", "--dry-run");
        Assert.True(up.ExitCode == 0, up.Output);
        var printed = DryRunOutput.Calls(up.StandardOutput);
        var create = Assert.Single(printed, c => c.Is("storage", "buckets", "create", $"gs://{Bucket}"));
        Assert.Equal("us-central1", create.Flag("--location"));
        Assert.True(create.Has("--uniform-bucket-level-access") && create.Has("--public-access-prevention"), create.ToString());
        var frontendSa = $"serviceAccount:{App}-prod-fe@{ProjectId}.iam.gserviceaccount.com";
        Assert.Contains(printed, c => c.Is("storage", "buckets", "add-iam-policy-binding", $"gs://{Bucket}")
            && c.Flag("--member") == frontendSa && c.Flag("--role") == "roles/storage.objectUser");
        var secretCreate = Assert.Single(printed, c => c.Is("secrets", "create", Secret));
        Assert.DoesNotContain("/", secretCreate.Flag("--data-file")); // a placeholder, not a file that was made
        Assert.Equal([frontendSa], printed.Where(c => c.Is("secrets", "add-iam-policy-binding", Secret) && c.Flag("--role") == "roles/secretmanager.secretAccessor").Select(c => c.Flag("--member")));
        DataProtectionAssertions.AssertFrontendFlags(Assert.Single(printed, c => c.Is("run", "deploy", $"{App}-prod-frontend")), Bucket, Secret, "DP_CERT_VERSION");

        var down = await gcloud.RunAsync(space.Folder, "deploy/down.sh", "--yes", "--dry-run");
        Assert.True(down.ExitCode == 0, down.Output);
        var printedByDown = DryRunOutput.Calls(down.StandardOutput);
        Assert.Contains(printedByDown, c => c.Is("storage", "rm", $"gs://{Bucket}/") && c.Has("--recursive"));
        Assert.Contains(printedByDown, c => c.Is("secrets", "delete", Secret));

        Assert.Empty(gcloud.StubCalls("openssl"));
        Assert.Empty(gcloud.LeftInTempFolder());
        // A dry run reads (the Cloud SQL instance's settings, to show what would change) but changes nothing.
        Assert.DoesNotContain(gcloud.Calls(), c => c.Mutates);
    }

    [Fact]
    public async Task A_failed_openssl_stops_up_before_the_secret_and_the_frontend_and_leaves_no_file()
    {
        using var space = new DeploySpace();
        space.WriteEnv("prod");
        using var gcloud = new FakeGcloud();
        gcloud.StubCommand("openssl", 1, "req: cannot write the key");

        var up = await gcloud.RunAsync(space.Folder, "deploy/up.sh");
        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains("error: openssl could not make the Data Protection certificate", up.StandardError);
        Assert.Contains("req: cannot write the key", up.StandardError);
        Assert.Single(gcloud.StubCalls("openssl"));
        var calls = gcloud.Calls();
        Assert.DoesNotContain(calls, c => c.Is("secrets", "create", Secret) || c.Is("run", "deploy"));
        Assert.Empty(gcloud.LeftInTempFolder());
    }
}
