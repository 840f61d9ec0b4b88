using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The frontend's shared Data Protection key ring as the deploy scripts must leave it: a private bucket
/// for the key files and a certificate secret, each usable by the frontend's account only, mounted into
/// every frontend revision with the certificate's version pinned.
/// </summary>
public static partial class DataProtectionAssertions
{
    /// <summary>The key bucket's name for a space (names.sh).</summary>
    public static string Bucket(string projectId, string app, string environment = "prod") => $"{projectId}-{app}-{environment}-dp-keys";

    /// <summary>The certificate secret's name for a space (names.sh).</summary>
    public static string Secret(string app, string environment = "prod") => $"{app}-{environment}-dp-cert";

    /// <summary>
    /// The frontend deploy mounts the bucket (a Cloud Storage volume, so gen2) and the certificate as a
    /// file pinned to <paramref name="version"/>, in folders that do not overlap, and points the app at both.
    /// </summary>
    public static void AssertFrontendFlags(GcloudCall frontend, string bucket, string secret, string version)
    {
        Assert.Equal("gen2", frontend.Flag("--execution-environment"));

        var volume = KeyValues(Assert.Single(frontend.Argv, a => a.StartsWith("--add-volume=", StringComparison.Ordinal))["--add-volume=".Length..]);
        Assert.Equal("cloud-storage", volume["type"]);
        Assert.Equal(bucket, volume["bucket"]);
        Assert.False(volume.ContainsKey("readonly"), "the key ring must be writable: " + frontend);
        var mount = KeyValues(Assert.Single(frontend.Argv, a => a.StartsWith("--add-volume-mount=", StringComparison.Ordinal))["--add-volume-mount=".Length..]);
        Assert.Equal(volume["name"], mount["volume"]);
        var keysPath = mount["mount-path"];

        // A path before '=' mounts the secret as a file; a pinned number, never 'latest'.
        var secretMount = (frontend.Flag("--set-secrets") ?? throw new Xunit.Sdk.XunitException($"no --set-secrets: {frontend}")).Split('=', 2);
        var certificatePath = secretMount[0];
        Assert.StartsWith("/", certificatePath);
        Assert.Equal($"{secret}:{version}", secretMount[1]);
        Assert.DoesNotContain(":latest", secretMount[1]);

        var certificateFolder = certificatePath[..certificatePath.LastIndexOf('/')];
        Assert.False(IsWithin(certificateFolder, keysPath) || IsWithin(keysPath, certificateFolder),
            $"the certificate's folder {certificateFolder} and the key volume {keysPath} overlap");

        var env = UpDownTests.EnvVars(frontend);
        Assert.Equal(keysPath, env["DataProtection__KeysPath"]);
        Assert.Equal(certificatePath, env["DataProtection__CertificatePath"]);
    }

    /// <summary>
    /// After up.sh made them: the bucket (region, uniform access, public access prevention) with one binding,
    /// the frontend's object role; the secret with exactly one version, added from a private temp file now
    /// gone, holding a certificate and its unencrypted key that .NET loads as the frontend will; the
    /// secret's accessor is the frontend's account only; nothing of the key in any call or in the output.
    /// </summary>
    public static void AssertProvisioned(FakeGcloud gcloud, IReadOnlyList<GcloudCall> calls, ProcessResult run, string projectId, string app)
    {
        var bucketName = Bucket(projectId, app);
        var secretName = Secret(app);
        var frontendSa = $"serviceAccount:{app}-prod-fe@{projectId}.iam.gserviceaccount.com";
        var deployerSa = $"serviceAccount:{app}-prod-deploy@{projectId}.iam.gserviceaccount.com";

        Assert.Matches(BucketName(), bucketName);
        Assert.True(bucketName.Length <= 63, bucketName);
        var bucketCreate = Assert.Single(calls, c => c.Is("storage", "buckets", "create") && c.Words[^1].EndsWith("-dp-keys", StringComparison.Ordinal));
        Assert.Equal(["storage", "buckets", "create", $"gs://{bucketName}"], bucketCreate.Words);
        var bucket = gcloud.Resource("storage.buckets", $"|gs://{bucketName}");
        Assert.Equal("us-central1", (string?)bucket["flags"]!["location"]);
        Assert.True((bool?)bucket["flags"]!["uniform-bucket-level-access"], bucket.ToJsonString());
        Assert.True((bool?)bucket["flags"]!["public-access-prevention"], bucket.ToJsonString());
        Assert.Equal([$"{frontendSa} roles/storage.objectUser"], Bindings(bucket));

        var secretCreate = Assert.Single(calls, c => c.Is("secrets", "create", secretName));
        var dataFile = secretCreate.Flag("--data-file");
        Assert.False(string.IsNullOrEmpty(dataFile) || dataFile == "-", secretCreate.ToString());
        Assert.DoesNotContain(calls, c => c.Is("secrets", "versions", "add", secretName));
        var secret = gcloud.Resource("secrets", $"|{secretName}");
        var pem = (string)Assert.Single(secret["versions"]!.AsArray())!;
        var file = Assert.Single(secret["data_files"]!.AsArray())!;
        Assert.Equal(dataFile, (string?)file["path"]);
        Assert.Equal("0o600", (string?)file["mode"]);
        Assert.Equal("0o700", (string?)file["folder_mode"]);
        Assert.False(File.Exists(dataFile) || Directory.Exists(Path.GetDirectoryName(dataFile)), $"{dataFile} was left behind");
        Assert.Empty(gcloud.LeftInTempFolder());

        // Only the frontend reads the certificate; the deployer sees version numbers (Cloud Build pins one).
        var secretBindings = Bindings(secret);
        Assert.Equal([frontendSa], secretBindings.Where(b => b.EndsWith(" roles/secretmanager.secretAccessor", StringComparison.Ordinal)).Select(b => b.Split(' ')[0]));
        Assert.Equal(new[] { $"{frontendSa} roles/secretmanager.secretAccessor", $"{deployerSa} roles/secretmanager.viewer" }.Order(StringComparer.Ordinal),
            secretBindings.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(gcloud.ProjectBindings(), b => b.EndsWith("roles/storage.objectUser", StringComparison.Ordinal) || b.Contains("roles/secretmanager.", StringComparison.Ordinal));

        AssertCertificate(gcloud, pem);
        AssertNothingOfTheKeyIsShown(pem, calls, run);
    }

    /// <summary>One PEM file with a certificate and its unencrypted RSA key, read as the frontend reads it.</summary>
    public static void AssertCertificate(FakeGcloud gcloud, string pem)
    {
        Assert.Contains("-----BEGIN CERTIFICATE-----", pem);
        Assert.Contains("-----BEGIN PRIVATE KEY-----", pem);
        Assert.DoesNotContain("ENCRYPTED", pem);
        var file = Path.Combine(gcloud.StateFolder, "certificate-as-mounted.pem");
        File.WriteAllText(file, pem);
        using var certificate = X509Certificate2.CreateFromPemFile(file);
        Assert.True(certificate.HasPrivateKey);
        using var key = certificate.GetRSAPrivateKey();
        Assert.NotNull(key);
    }

    /// <summary>No line of the private key in any gcloud argument, nor in what the script printed.</summary>
    public static void AssertNothingOfTheKeyIsShown(string pem, IReadOnlyList<GcloudCall> calls, ProcessResult run)
    {
        var keyLines = pem.Split('\n').SkipWhile(l => l != "-----BEGIN PRIVATE KEY-----").Skip(1)
            .TakeWhile(l => l != "-----END PRIVATE KEY-----").ToList();
        Assert.True(keyLines.Count > 10, "no private key in the certificate secret");
        Assert.DoesNotContain("PRIVATE KEY", run.Output);
        Assert.All(keyLines, line =>
        {
            Assert.DoesNotContain(line, run.Output);
            Assert.DoesNotContain(calls, c => c.Argv.Any(a => a.Contains(line, StringComparison.Ordinal)));
        });
    }

    /// <summary>A resource's IAM bindings as "member role".</summary>
    public static IReadOnlyList<string> Bindings(JsonObject resource) =>
        resource["bindings"]!.AsArray().Select(b => (string)b![0]! + " " + (string)b[1]!).ToList();

    private static Dictionary<string, string> KeyValues(string list) =>
        list.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    private static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    // Cloud Storage: 3-63 characters, lowercase letters, digits and hyphens, a letter or digit at each end.
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
