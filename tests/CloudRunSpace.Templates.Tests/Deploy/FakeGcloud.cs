using System.Text.Json;
using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// The stand-in gcloud (FakeGcloud/gcloud, a python3 script) on a private PATH with its own state folder.
/// Scripts run through <see cref="RunAsync"/> find it first on PATH; every call is logged and every
/// created resource kept, so tests can assert on calls and on what exists.
/// </summary>
public sealed class FakeGcloud : IDisposable
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);
    private readonly string _root;

    public FakeGcloud()
    {
        _root = Directory.CreateTempSubdirectory("fake-gcloud-").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        StateFolder = Directory.CreateDirectory(Path.Combine(_root, "state")).FullName;
        var script = Path.Combine(bin, "gcloud");
        File.Copy(Path.Combine(RepositoryPaths.RepositoryRoot, "tests", "CloudRunSpace.Templates.Tests", "Deploy", "FakeGcloud", "gcloud"), script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Environment = new Dictionary<string, string?>
        {
            ["PATH"] = bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
            ["FAKE_GCLOUD_STATE"] = StateFolder,
            ["RETRY_DELAY_SECONDS"] = "0",
            ["PROJECT_NUMBER"] = null,
        };
    }

    /// <summary>Where the stand-in keeps its call log and resources.</summary>
    public string StateFolder { get; }

    /// <summary>The environment scripts run with: the stand-in first on PATH.</summary>
    public Dictionary<string, string?> Environment { get; }

    /// <summary>The project number the stand-in reports.</summary>
    public const string ProjectNumber = "123456789012";

    /// <summary>Runs <c>bash SCRIPT ARGS</c> from <paramref name="spaceFolder"/> with the stand-in on PATH.</summary>
    public Task<ProcessResult> RunAsync(string spaceFolder, string script, params string[] arguments) =>
        ProcessRunner.RunAsync("bash", [Path.Combine(spaceFolder, script), .. arguments], spaceFolder, ScriptTimeout,
            Environment, TestContext.Current.CancellationToken);

    /// <summary>Every call logged so far, in order.</summary>
    public IReadOnlyList<GcloudCall> Calls()
    {
        var log = Path.Combine(StateFolder, "calls.jsonl");
        return File.Exists(log)
            ? File.ReadAllLines(log).Select(l => new GcloudCall(JsonNode.Parse(l)!["argv"]!.AsArray().Select(a => (string)a!).ToList())).ToList()
            : [];
    }

    /// <summary>The resources that exist, as "kind/name" (name URL-decoded, with its scope).</summary>
    public IReadOnlyList<string> Resources()
    {
        var folder = Path.Combine(StateFolder, "resources");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
                .Select(f => Path.GetFileName(Path.GetDirectoryName(f)) + "/" + Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(f)))
                .Order(StringComparer.Ordinal).ToList()
            : [];
    }

    /// <summary>The stored JSON of the one resource of <paramref name="kind"/> whose key ends with <paramref name="nameSuffix"/>.</summary>
    public JsonObject Resource(string kind, string nameSuffix)
    {
        var folder = Path.Combine(StateFolder, "resources", kind);
        var file = Directory.EnumerateFiles(folder, "*.json")
            .Single(f => Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(f)).EndsWith(nameSuffix, StringComparison.Ordinal));
        return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
    }

    /// <summary>All stored resources of a kind.</summary>
    public IReadOnlyList<JsonObject> ResourcesOf(string kind)
    {
        var folder = Path.Combine(StateFolder, "resources", kind);
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.json").Select(f => JsonNode.Parse(File.ReadAllText(f))!.AsObject()).ToList()
            : [];
    }

    /// <summary>Project-level IAM bindings as "member role".</summary>
    public IReadOnlyList<string> ProjectBindings()
    {
        var file = Path.Combine(StateFolder, "project-bindings.json");
        return File.Exists(file)
            ? JsonSerializer.Deserialize<string[][]>(File.ReadAllText(file))!.Select(b => b[0] + " " + b[1]).ToList()
            : [];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (System.Environment.GetEnvironmentVariable(TemplateHive.KeepOutputVariable) != "1")
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
