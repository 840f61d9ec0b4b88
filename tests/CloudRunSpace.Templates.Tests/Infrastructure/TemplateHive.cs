using System.Collections.Concurrent;
using ToolkitHive = CloudRunSpace.Validation.Templates.TemplateHive;

namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>
/// The xunit face of the toolkit's template hive (build/CloudRunSpace.Validation/Templates/TemplateHive.cs): the pack
/// is packed once per test run and installed into an isolated hive in a temp folder, so tests run the SDK's own
/// `dotnet new` against exactly this repository's templates and never touch the user's installed templates.
/// Registered as an xunit assembly fixture: take it as a constructor parameter.
/// </summary>
/// <remarks>
/// Set <c>CLOUDRUNSPACE_TEMPLATE_PACKAGE</c> to a .nupkg to test that package instead of packing (the Cake build
/// passes the one it packed). Set <c>CLOUDRUNSPACE_KEEP_TEST_OUTPUT=1</c> to keep the temp folder for inspection.
/// </remarks>
public sealed class TemplateHive : IAsyncLifetime
{
    /// <summary>The template's short name.</summary>
    public const string ShortName = ToolkitHive.ShortName;

    /// <summary>Environment variable naming a prebuilt template package to test instead of packing one.</summary>
    public const string PackageVariable = "CLOUDRUNSPACE_TEMPLATE_PACKAGE";

    /// <summary>Environment variable that keeps the temp folder (hive, package, generated output) when set to 1.</summary>
    public const string KeepOutputVariable = "CLOUDRUNSPACE_KEEP_TEST_OUTPUT";

    private readonly ConcurrentDictionary<string, Lazy<Task<Instantiation>>> _shared = new();
    private string _tempRoot = "";
    private ToolkitHive? _hive;

    /// <summary>The template package (.nupkg) installed into the hive.</summary>
    public string PackagePath => Hive.PackagePath;

    /// <summary>The isolated template hive (<c>--debug:custom-hive</c>).</summary>
    public string HivePath => Hive.HivePath;

    /// <summary>The folder with stopper files that every generated solution is written below.</summary>
    public string WorkspaceRoot => Hive.WorkspaceRoot;

    private ToolkitHive Hive => _hive ?? throw new InvalidOperationException("The hive is not initialised.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        _tempRoot = Directory.CreateTempSubdirectory("cloudrun-space-tests-").FullName;
        try
        {
            var package = Environment.GetEnvironmentVariable(PackageVariable) is { Length: > 0 } given ? given : null;
            _hive = await ToolkitHive.CreateAsync(_tempRoot, RepositoryPaths.RepositoryRoot, package, TestContext.Current.CancellationToken);
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
        _hive?.Dispose();
        if (Environment.GetEnvironmentVariable(KeepOutputVariable) != "1")
        {
            DeleteTempRoot();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Runs `dotnet new ARGS --debug:custom-hive HIVE` in <see cref="WorkspaceRoot"/>.</summary>
    /// <param name="arguments">The `dotnet new` arguments, without the hive option.</param>
    /// <returns>The exit code and output; failures are not thrown.</returns>
    public Task<ProcessResult> RunDotnetNewAsync(params string[] arguments) =>
        Hive.RunDotnetNewAsync(arguments, TestContext.Current.CancellationToken);

    /// <summary>
    /// Generates a solution: `dotnet new cloudrun-space -n NAME -o DIR --no-restore [OPTIONS]` (plus
    /// <c>--allow-scripts no</c> where the template offers it) into a fresh folder below <see cref="WorkspaceRoot"/>.
    /// </summary>
    /// <param name="name">The <c>-n</c> value, e.g. <c>My.Cloud-App</c>.</param>
    /// <param name="options">Template options, e.g. <c>"--frontend", "blazor"</c>.</param>
    /// <returns>The output folder, exit code and output. The caller owns the folder and may change it.</returns>
    public async Task<Instantiation> InstantiateAsync(string name, params string[] options)
    {
        var (folder, result) = await Hive.InstantiateAsync(name, options, TestContext.Current.CancellationToken);
        return new Instantiation(Path.Combine(WorkspaceRoot, folder), result.ExitCode, result.Output);
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
        var (folder, result) = await Hive.InstantiateAsync(name, ["--dry-run", .. options], TestContext.Current.CancellationToken);
        return new DryRun(result.ExitCode, result.Output, ToolkitHive.DryRunFiles(folder, result.StandardOutput));
    }

    private void DeleteTempRoot()
    {
        if (_tempRoot.Length > 0 && Directory.Exists(_tempRoot))
        {
            Directory.Delete(_tempRoot, recursive: true);
        }
    }
}
