using System.Text.RegularExpressions;
using CloudRunSpace.Validation.Processes;
using CloudRunSpace.Validation.Workspace;

namespace CloudRunSpace.Validation.Templates;

/// <summary>
/// The template pack installed into an isolated template hive (<c>--debug:custom-hive</c>) below a temp folder, so
/// the SDK's own <c>dotnet new</c> runs against exactly this repository's templates and never touches the user's
/// installed ones. Solutions are generated below an <see cref="IsolatedWorkspace"/>. <c>dotnet new</c> calls are
/// serialised: they share the hive's cache files.
/// </summary>
public sealed partial class TemplateHive : IDisposable
{
    /// <summary>The template's short name.</summary>
    public const string ShortName = "cloudrun-space";

    private static readonly TimeSpan DotnetNewTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _oneDotnetNewAtATime = new(1, 1);
    private readonly string _tempRoot;
    private IsolatedWorkspace? _workspace;
    private string[] _noScriptsArguments = [];

    private TemplateHive(string tempRoot, string packagePath)
    {
        _tempRoot = tempRoot;
        PackagePath = packagePath;
        HivePath = Path.Combine(tempRoot, "hive");
    }

    /// <summary>The template package (.nupkg) installed into the hive.</summary>
    public string PackagePath { get; }

    /// <summary>The isolated template hive.</summary>
    public string HivePath { get; }

    /// <summary>The folder with stopper files that every generated solution is written below.</summary>
    public string WorkspaceRoot => Workspace.Root;

    private IsolatedWorkspace Workspace => _workspace ?? throw new InvalidOperationException("The hive is not initialised.");

    /// <summary>
    /// Packs the templates (unless <paramref name="package"/> names a package), installs them into a hive below
    /// <paramref name="tempRoot"/> and prepares the workspace.
    /// </summary>
    /// <param name="tempRoot">An existing, empty folder the hive, package and generated solutions go below.</param>
    /// <param name="repositoryRoot">The repository root (templates/, global.json).</param>
    /// <param name="package">A prebuilt package to install instead of packing, or null.</param>
    /// <param name="cancellationToken">Cancels the runs.</param>
    /// <exception cref="InvalidOperationException">Packing or installing failed; the message holds the output.</exception>
    public static async Task<TemplateHive> CreateAsync(string tempRoot, string repositoryRoot, string? package, CancellationToken cancellationToken)
    {
        var packagePath = package is null ? await PackAsync(repositoryRoot, tempRoot, cancellationToken) : ExistingPackage(package);
        var hive = new TemplateHive(tempRoot, packagePath);
        try
        {
            await hive.InstallAsync(cancellationToken);
            hive._workspace = IsolatedWorkspace.Create(tempRoot, await File.ReadAllTextAsync(Path.Combine(repositoryRoot, "global.json"), cancellationToken));

            // `--allow-scripts` exists only for templates with a run-script post action; where it exists it must be
            // passed, or the post action prompts.
            var help = await hive.RunDotnetNewAsync([ShortName, "--help"], cancellationToken);
            hive._noScriptsArguments = help.Output.Contains("--allow-scripts", StringComparison.Ordinal) ? ["--allow-scripts", "no"] : [];
            return hive;
        }
        catch
        {
            hive.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>dotnet new ARGS --debug:custom-hive HIVE</c> in the workspace, one at a time.</summary>
    /// <param name="arguments">The <c>dotnet new</c> arguments, without the hive option.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The exit code and output; failures are not thrown.</returns>
    public async Task<ProcessResult> RunDotnetNewAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        string[] all = ["new", .. arguments, "--debug:custom-hive", HivePath];
        await _oneDotnetNewAtATime.WaitAsync(cancellationToken);
        try
        {
            return await ProcessRunner.RunAsync(
                DotnetEnvironment.Executable, all, _workspace?.Root ?? _tempRoot, DotnetNewTimeout, DotnetEnvironment.Quiet, cancellationToken);
        }
        finally
        {
            _oneDotnetNewAtATime.Release();
        }
    }

    /// <summary>
    /// <c>dotnet new cloudrun-space -n NAME -o DIR --no-restore [OPTIONS]</c> (plus <c>--allow-scripts no</c> where the
    /// template offers it) into a fresh folder below <see cref="WorkspaceRoot"/>.
    /// </summary>
    /// <param name="name">The <c>-n</c> value.</param>
    /// <param name="options">Template options (add --dry-run to list the files only).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The output folder's name relative to <see cref="WorkspaceRoot"/>, and the run.</returns>
    public async Task<(string Folder, ProcessResult Result)> InstantiateAsync(string name, IEnumerable<string> options, CancellationToken cancellationToken)
    {
        var folder = Workspace.NewFolderName(name);
        var result = await RunDotnetNewAsync([ShortName, "-n", name, "-o", folder, "--no-restore", .. _noScriptsArguments, .. options], cancellationToken);
        return (folder, result);
    }

    /// <summary>The files a <c>--dry-run</c> would create, relative to its output folder, '/'-separated.</summary>
    /// <param name="folder">The output folder's name as passed to -o.</param>
    /// <param name="standardOutput">The dry run's stdout.</param>
    public static IReadOnlySet<string> DryRunFiles(string folder, string standardOutput)
    {
        var prefix = folder + "/";
        return CreateLine().Matches(standardOutput)
            .Select(m => m.Groups["path"].Value.Trim().Replace('\\', '/'))
            .Select(p => p.StartsWith(prefix, StringComparison.Ordinal) ? p[prefix.Length..] : p)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public void Dispose() => _oneDotnetNewAtATime.Dispose();

    private static string ExistingPackage(string path)
    {
        var full = Path.GetFullPath(path);
        return File.Exists(full) ? full : throw new FileNotFoundException($"the template package does not exist: {full}", full);
    }

    // Build output goes to the temp folder, not templates/bin|obj: a concurrent build of the repository keeps its own.
    private static async Task<string> PackAsync(string repositoryRoot, string tempRoot, CancellationToken cancellationToken)
    {
        var project = Path.Combine(repositoryRoot, "templates", "CloudRunSpace.Templates.csproj");
        var packageFolder = Path.Combine(tempRoot, "package");
        var buildFolder = Path.Combine(tempRoot, "pack-build");
        var result = await ProcessRunner.RunAsync(
            DotnetEnvironment.Executable,
            ["pack", project, "--nologo", "-c", "Release", "-o", packageFolder,
             $"-p:BaseIntermediateOutputPath={buildFolder}/obj/", $"-p:BaseOutputPath={buildFolder}/bin/"],
            repositoryRoot, PackTimeout, DotnetEnvironment.Quiet, cancellationToken);
        var packages = Directory.Exists(packageFolder) ? Directory.GetFiles(packageFolder, "*.nupkg") : [];
        return result.ExitCode == 0 && packages.Length == 1
            ? packages[0]
            : throw new InvalidOperationException(
                $"Packing {project} failed (exit {result.ExitCode}, {packages.Length} packages):{Environment.NewLine}{result.Output}");
    }

    private async Task InstallAsync(CancellationToken cancellationToken)
    {
        var install = await RunDotnetNewAsync(["install", PackagePath], cancellationToken);
        if (TemplateEngineFailures.Problem(install.ExitCode, install.Output) is { } problem)
        {
            throw new InvalidOperationException($"Installing {PackagePath} into {HivePath} failed ({problem}):{Environment.NewLine}{install.Output}");
        }

        var list = await RunDotnetNewAsync(["list"], cancellationToken);
        if (list.ExitCode != 0 || !TemplateListing.Lists(list.StandardOutput, ShortName))
        {
            throw new InvalidOperationException(
                $"`dotnet new list` in hive {HivePath} does not show {ShortName} after installing {PackagePath} (exit {list.ExitCode}):{Environment.NewLine}{list.Output}");
        }
    }

    [GeneratedRegex(@"^\s*Create:\s*(?<path>.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex CreateLine();
}

/// <summary>Reading <c>dotnet new list</c>.</summary>
public static class TemplateListing
{
    /// <summary>Whether <c>dotnet new list</c>'s output lists <paramref name="shortName"/>.</summary>
    /// <param name="listOutput">The output.</param>
    /// <param name="shortName">The template's short name.</param>
    public static bool Lists(string listOutput, string shortName) =>
        Regex.IsMatch(listOutput, $@"(^|[\s,]){Regex.Escape(shortName)}([\s,]|$)", RegexOptions.Multiline);
}
