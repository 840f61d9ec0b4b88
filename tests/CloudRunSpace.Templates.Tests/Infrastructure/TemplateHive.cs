using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>
/// The template pack, packed once per test run and installed into an isolated template hive, so tests run
/// the SDK's own `dotnet new` against exactly this repository's templates and never touch the user's
/// installed templates. Registered as an xunit assembly fixture: take it as a constructor parameter.
/// </summary>
/// <remarks>
/// Set <c>CLOUDRUNSPACE_TEMPLATE_PACKAGE</c> to a .nupkg to test that package instead of packing (the Cake
/// build passes the one it packed). Set <c>CLOUDRUNSPACE_KEEP_TEST_OUTPUT=1</c> to keep the temp folder for
/// inspection. `dotnet new` calls are serialised: they share the hive's cache files.
/// </remarks>
public sealed partial class TemplateHive : IAsyncLifetime
{
    /// <summary>The template's short name.</summary>
    public const string ShortName = "cloudrun-space";

    /// <summary>Environment variable naming a prebuilt template package to test instead of packing one.</summary>
    public const string PackageVariable = "CLOUDRUNSPACE_TEMPLATE_PACKAGE";

    /// <summary>Environment variable that keeps the temp folder (hive, package, generated output) when set to 1.</summary>
    public const string KeepOutputVariable = "CLOUDRUNSPACE_KEEP_TEST_OUTPUT";

    private static readonly TimeSpan DotnetNewTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    // `dotnet new` errors that still exit 0: an invalid template at install, localization errors.
    private static readonly string[] SilentInstallFailures = ["Error", "[MV", "No templates were found", "LOC00"];

    private static readonly Dictionary<string, string?> DotnetEnvironment = new()
    {
        ["DOTNET_CLI_UI_LANGUAGE"] = "en", // assertions read English messages
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
    };

    private readonly SemaphoreSlim _oneDotnetNewAtATime = new(1, 1);
    private readonly ConcurrentDictionary<string, Lazy<Task<Instantiation>>> _shared = new();
    private string _tempRoot = "";
    private IsolatedWorkspace? _workspace;
    private string[] _noScriptsArguments = [];

    /// <summary>The template package (.nupkg) installed into the hive.</summary>
    public string PackagePath { get; private set; } = "";

    /// <summary>The isolated template hive (<c>--debug:custom-hive</c>).</summary>
    public string HivePath { get; private set; } = "";

    /// <summary>The folder with stopper files that every generated solution is written below.</summary>
    public string WorkspaceRoot => Workspace.Root;

    private IsolatedWorkspace Workspace => _workspace ?? throw new InvalidOperationException("The hive is not initialised.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        _tempRoot = Directory.CreateTempSubdirectory("cloudrun-space-tests-").FullName;
        try
        {
            HivePath = Path.Combine(_tempRoot, "hive");
            PackagePath = Environment.GetEnvironmentVariable(PackageVariable) is { Length: > 0 } given
                ? ExistingPackage(given)
                : await PackAsync();
            await InstallAsync();
            _workspace = IsolatedWorkspace.Create(
                _tempRoot, await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.RepositoryRoot, "global.json")));

            // `--allow-scripts` exists only for templates with a run-script post action; where it exists it
            // must be passed, or the post action prompts.
            var help = await RunDotnetNewAsync(ShortName, "--help");
            _noScriptsArguments = help.Output.Contains("--allow-scripts", StringComparison.Ordinal) ? ["--allow-scripts", "no"] : [];
        }
        catch
        {
            DeleteTempRoot();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable(KeepOutputVariable) != "1")
        {
            DeleteTempRoot();
        }

        _oneDotnetNewAtATime.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs `dotnet new ARGS --debug:custom-hive HIVE` in <see cref="WorkspaceRoot"/>.</summary>
    /// <param name="arguments">The `dotnet new` arguments, without the hive option.</param>
    /// <returns>The exit code and output; failures are not thrown.</returns>
    public async Task<ProcessResult> RunDotnetNewAsync(params string[] arguments)
    {
        string[] all = ["new", .. arguments, "--debug:custom-hive", HivePath];
        await _oneDotnetNewAtATime.WaitAsync();
        try
        {
            return await ProcessRunner.RunAsync(
                DotnetExecutable, all, _workspace?.Root ?? _tempRoot, DotnetNewTimeout, DotnetEnvironment,
                TestContext.Current.CancellationToken);
        }
        finally
        {
            _oneDotnetNewAtATime.Release();
        }
    }

    /// <summary>
    /// Generates a solution: `dotnet new cloudrun-space -n NAME -o DIR --no-restore [OPTIONS]` (plus
    /// <c>--allow-scripts no</c> where the template offers it) into a fresh folder below <see cref="WorkspaceRoot"/>.
    /// </summary>
    /// <param name="name">The <c>-n</c> value, e.g. <c>My.Cloud-App</c>.</param>
    /// <param name="options">Template options, e.g. <c>"--frontend", "blazor"</c>.</param>
    /// <returns>The output folder, exit code and output. The caller owns the folder and may change it.</returns>
    public async Task<Instantiation> InstantiateAsync(string name, params string[] options)
    {
        var folder = Workspace.NewFolderName(name);
        var result = await RunDotnetNewAsync([ShortName, "-n", name, "-o", folder, "--no-restore", .. _noScriptsArguments, .. options]);
        return new Instantiation(Path.Combine(Workspace.Root, folder), result.ExitCode, result.Output);
    }

    /// <summary>
    /// Like <see cref="InstantiateAsync"/>, but generated once per test run for the same name and options
    /// and shared between tests: treat the folder as read-only.
    /// </summary>
    /// <param name="name">The <c>-n</c> value.</param>
    /// <param name="options">Template options.</param>
    public Task<Instantiation> SharedInstantiationAsync(string name, params string[] options)
    {
        var key = string.Join('\0', [name, .. options]);
        return _shared.GetOrAdd(key, _ => new Lazy<Task<Instantiation>>(() => InstantiateAsync(name, options))).Value;
    }

    /// <summary>`dotnet new cloudrun-space ... --dry-run`: the files a variant would create, without writing any.</summary>
    /// <param name="name">The <c>-n</c> value.</param>
    /// <param name="options">Template options.</param>
    /// <returns>The exit code, output and the listed files relative to the output folder.</returns>
    public async Task<DryRun> DryRunAsync(string name, params string[] options)
    {
        var folder = Workspace.NewFolderName(name);
        var result = await RunDotnetNewAsync([ShortName, "-n", name, "-o", folder, "--no-restore", "--dry-run", .. _noScriptsArguments, .. options]);
        var prefix = folder + "/";
        var files = CreateLine().Matches(result.StandardOutput)
            .Select(m => m.Groups["path"].Value.Trim().Replace('\\', '/'))
            .Select(p => p.StartsWith(prefix, StringComparison.Ordinal) ? p[prefix.Length..] : p)
            .ToHashSet(StringComparer.Ordinal);
        return new DryRun(result.ExitCode, result.Output, files);
    }

    private static string DotnetExecutable =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string ExistingPackage(string path)
    {
        var full = Path.GetFullPath(path);
        return File.Exists(full)
            ? full
            : throw new FileNotFoundException($"{PackageVariable} names a template package that does not exist: {full}", full);
    }

    private async Task<string> PackAsync()
    {
        // Build output goes to the temp folder, not templates/bin|obj: a concurrent build of the repo keeps its own.
        var packageFolder = Path.Combine(_tempRoot, "package");
        var buildFolder = Path.Combine(_tempRoot, "pack-build");
        var result = await ProcessRunner.RunAsync(
            DotnetExecutable,
            ["pack", RepositoryPaths.TemplatePackProject, "--nologo", "-c", "Release", "-o", packageFolder,
             $"-p:BaseIntermediateOutputPath={buildFolder}/obj/", $"-p:BaseOutputPath={buildFolder}/bin/"],
            RepositoryPaths.RepositoryRoot, PackTimeout, DotnetEnvironment, TestContext.Current.CancellationToken);
        var packages = Directory.Exists(packageFolder) ? Directory.GetFiles(packageFolder, "*.nupkg") : [];
        if (result.ExitCode != 0 || packages.Length != 1)
        {
            throw new InvalidOperationException(
                $"Packing {RepositoryPaths.TemplatePackProject} failed (exit {result.ExitCode}, {packages.Length} packages):{Environment.NewLine}{result.Output}");
        }

        return packages[0];
    }

    private async Task InstallAsync()
    {
        var install = await RunDotnetNewAsync("install", PackagePath);
        var silentFailure = SilentInstallFailures.FirstOrDefault(f => install.Output.Contains(f, StringComparison.Ordinal));
        if (install.ExitCode != 0 || silentFailure is not null)
        {
            throw new InvalidOperationException(
                $"Installing {PackagePath} into {HivePath} failed (exit {install.ExitCode}" +
                (silentFailure is null ? ")" : $", output contains \"{silentFailure}\")") +
                $":{Environment.NewLine}{install.Output}");
        }

        var list = await RunDotnetNewAsync("list");
        if (list.ExitCode != 0 || !ShortNameInList().IsMatch(list.StandardOutput))
        {
            throw new InvalidOperationException(
                $"`dotnet new list` in hive {HivePath} does not show {ShortName} after installing {PackagePath} (exit {list.ExitCode}):{Environment.NewLine}{list.Output}");
        }
    }

    private void DeleteTempRoot()
    {
        if (_tempRoot.Length > 0 && Directory.Exists(_tempRoot))
        {
            Directory.Delete(_tempRoot, recursive: true);
        }
    }

    [GeneratedRegex(@"^\s*Create:\s*(?<path>.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex CreateLine();

    [GeneratedRegex(@"(^|\s)cloudrun-space(\s|,|$)", RegexOptions.Multiline)]
    private static partial Regex ShortNameInList();
}
