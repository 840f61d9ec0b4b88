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
        _bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        StateFolder = Directory.CreateDirectory(Path.Combine(_root, "state")).FullName;
        TempFolder = Directory.CreateDirectory(Path.Combine(_root, "tmp")).FullName;
        // gcloud, and curl for the Cloud Monitoring REST API (lib/monitoring.sh's monitoring_api).
        foreach (var command in new[] { "gcloud", "curl" })
        {
            var script = Path.Combine(_bin, command);
            File.Copy(Path.Combine(RepositoryPaths.RepositoryRoot, "tests", "CloudRunSpace.Templates.Tests", "Deploy", "FakeGcloud", command), script);
            MakeExecutable(script);
        }
        Environment = new Dictionary<string, string?>
        {
            ["PATH"] = _bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
            ["FAKE_GCLOUD_STATE"] = StateFolder,
            ["RETRY_DELAY_SECONDS"] = "0",
            ["PROJECT_NUMBER"] = null,
            ["TMPDIR"] = TempFolder,
        };
    }

    private readonly string _bin;

    /// <summary>Where the stand-in keeps its call log and resources.</summary>
    public string StateFolder { get; }

    /// <summary>The scripts' TMPDIR: empty again once a script is done, if it cleans up after itself.</summary>
    public string TempFolder { get; }

    /// <summary>What the scripts left in <see cref="TempFolder"/>.</summary>
    public IReadOnlyList<string> LeftInTempFolder() => Directory.EnumerateFileSystemEntries(TempFolder).ToList();

    /// <summary>
    /// Puts a stand-in for the command <paramref name="name"/> first on PATH: it records its arguments
    /// (see <see cref="StubCalls"/>), writes <paramref name="error"/> to stderr and exits with <paramref name="exitCode"/>.
    /// </summary>
    public void StubCommand(string name, int exitCode, string error = "")
    {
        var script = Path.Combine(_bin, name);
        File.WriteAllText(script, $$"""
            #!/usr/bin/env bash
            printf '%s\n' "$*" >>"$FAKE_GCLOUD_STATE/{{name}}.calls"
            printf '%s\n' '{{error.Replace("'", "", StringComparison.Ordinal)}}' >&2
            exit {{exitCode}}

            """);
        MakeExecutable(script);
    }

    /// <summary>The argument lines a <see cref="StubCommand"/> stand-in was called with.</summary>
    public IReadOnlyList<string> StubCalls(string name)
    {
        var file = Path.Combine(StateFolder, name + ".calls");
        return File.Exists(file) ? File.ReadAllLines(file) : [];
    }

    /// <summary>
    /// Makes a resource exist before a script runs, as an earlier run (or someone by hand) made it: the
    /// stand-in then answers its describe/list calls. <paramref name="versions"/> are a secret's versions.
    /// </summary>
    public void Seed(string kind, string name, IEnumerable<string>? versions = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(StateFolder, "resources", kind)).FullName;
        var resource = new JsonObject
        {
            ["flags"] = new JsonObject(),
            ["bindings"] = new JsonArray(),
            ["versions"] = new JsonArray((versions ?? []).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            ["data_files"] = new JsonArray(),
        };
        // The stand-in's file name: "scope|name", percent-encoded (no scope for these kinds).
        File.WriteAllText(Path.Combine(folder, Uri.EscapeDataString("|" + name) + ".json"), resource.ToJsonString());
    }

    private static void MakeExecutable(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The environment scripts run with: the stand-in first on PATH.</summary>
    public Dictionary<string, string?> Environment { get; }

    /// <summary>The project number the stand-in reports.</summary>
    public const string ProjectNumber = "123456789012";

    /// <summary>Runs <c>bash SCRIPT ARGS</c> from <paramref name="spaceFolder"/> with the stand-in on PATH.</summary>
    public Task<ProcessResult> RunAsync(string spaceFolder, string script, params string[] arguments) =>
        ProcessRunner.RunAsync("bash", [Path.Combine(spaceFolder, script), .. arguments], spaceFolder, ScriptTimeout,
            Environment, TestContext.Current.CancellationToken);

    /// <summary>
    /// Runs one step of cloudbuild.yaml (<c>deploy/cloudbuild-step.sh STEP ARGS --plan FILE</c>) as Cloud Build would:
    /// after the build's plan step, which this runs first (same <c>--tag</c>) when the space has no plan yet.
    /// </summary>
    public async Task<ProcessResult> RunBuildStepAsync(string spaceFolder, string step, params string[] arguments)
    {
        var plan = Path.Combine(spaceFolder, "release.env");
        if (!File.Exists(plan))
        {
            var tag = arguments.SkipWhile(a => a != "--tag").Skip(1).FirstOrDefault() ?? "abc1234";
            var planned = await RunAsync(spaceFolder, "deploy/cloudbuild-step.sh", "plan", "--env", "prod", "--tag", tag, "--plan", plan);
            if (planned.ExitCode != 0)
            {
                return planned;
            }
        }

        return await RunAsync(spaceFolder, "deploy/cloudbuild-step.sh", [step, .. arguments, "--plan", plan]);
    }

    /// <summary>Every call logged so far, in order.</summary>
    public IReadOnlyList<GcloudCall> Calls()
    {
        var log = Path.Combine(StateFolder, "calls.jsonl");
        return File.Exists(log)
            ? File.ReadAllLines(log).Select(l => new GcloudCall(JsonNode.Parse(l)!["argv"]!.AsArray().Select(a => (string)a!).ToList())).ToList()
            : [];
    }

    /// <summary>The Cloud Monitoring REST calls the stand-in curl received, in order.</summary>
    public IReadOnlyList<ApiCall> ApiCalls()
    {
        var log = Path.Combine(StateFolder, "curl.jsonl");
        return File.Exists(log)
            ? File.ReadAllLines(log).Select(l => JsonNode.Parse(l)!.AsObject())
                .Select(c => new ApiCall((string)c["method"]!, (string)c["url"]!, c["body"] as JsonObject)).ToList()
            : [];
    }

    /// <summary>The Cloud Monitoring API objects (services and their SLOs) that exist, by resource name.</summary>
    public IReadOnlyDictionary<string, JsonObject> ApiObjects()
    {
        var folder = Path.Combine(StateFolder, "monitoring-api");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.json").ToDictionary(
                f => Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(f)),
                f => JsonNode.Parse(File.ReadAllText(f))!.AsObject())
            : new Dictionary<string, JsonObject>();
    }

    /// <summary>The documents of the alert policies or notification channels (kind monitoring.policies|channels) that exist.</summary>
    public IReadOnlyList<JsonObject> MonitoringDocuments(string kind) =>
        ResourcesByName(kind).Values.Select(r => r["document"]!.AsObject()).ToList();

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

    /// <summary>All stored resources of a kind, by their key ("scope|name", URL-decoded).</summary>
    public IReadOnlyDictionary<string, JsonObject> ResourcesByName(string kind)
    {
        var folder = Path.Combine(StateFolder, "resources", kind);
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.json").ToDictionary(
                f => Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(f)),
                f => JsonNode.Parse(File.ReadAllText(f))!.AsObject())
            : new Dictionary<string, JsonObject>();
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
