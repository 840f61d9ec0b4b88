using System.Diagnostics;
using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Repository;

/// <summary>
/// The README's commands (./build.sh and .ci/run): every target is listed, and a missing tool stops the build at
/// once with a message that says how to install it, before anything is built.
/// </summary>
public sealed partial class BuildScriptTests
{
    private static string BuildScript => Path.Combine(RepositoryPaths.RepositoryRoot, "build.sh");

    private static IReadOnlyList<string> CakeTargets()
    {
        var scripts = Directory.GetFiles(Path.Combine(RepositoryPaths.RepositoryRoot, "build"), "*.cake").Select(File.ReadAllText);
        return [.. scripts.SelectMany(cake => CakeTask().Matches(cake)).Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public async Task Help_lists_every_target_of_the_cake_scripts()
    {
        var help = await RunAsync(Environment.GetEnvironmentVariable("PATH")!, "--help");

        Assert.True(help.ExitCode == 0, help.Output);
        var targets = CakeTargets();
        Assert.Contains("Faults", targets);
        Assert.Contains("Bench", targets);
        Assert.All(targets, target => Assert.Matches($@"(?m)^  {target}\s", help.StandardOutput));
    }

    [Fact]
    public void Every_target_of_the_cake_scripts_names_the_tools_it_needs()
    {
        var prerequisites = File.ReadAllText(Path.Combine(RepositoryPaths.RepositoryRoot, "build", "prerequisites.sh"));
        var listed = TargetToolsEntry().Matches(prerequisites).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Equal(CakeTargets().Order(), listed.Order());
    }

    [Fact]
    public async Task A_missing_tool_that_cannot_be_installed_stops_the_build_at_once_naming_its_install_commands()
    {
        // shellcheck is off PATH, and so are apt-get and sudo: nothing can install it.
        using var path = PathWithout("shellcheck", "apt-get", "sudo");
        var packages = Path.Combine(RepositoryPaths.RepositoryRoot, "artifacts", "packages");
        var before = Snapshot(packages);
        var clock = Stopwatch.StartNew();

        var run = await RunAsync(path.Value, "--target=UnitTests");

        clock.Stop();
        Assert.Equal(3, run.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("--target=UnitTests needs tools that are missing here; nothing was built.", run.StandardError);
        Assert.Contains("apt-get install shellcheck", run.StandardError);
        Assert.Contains("brew install shellcheck", run.StandardError);
        Assert.Contains("winget install koalaman.shellcheck", run.StandardError);
        // Only what is missing is named: PostgreSQL and the SDK are here.
        Assert.DoesNotContain("PostgreSQL", run.StandardError);
        Assert.DoesNotContain(".NET SDK", run.StandardError);
        // Cake never started, and nothing was packed.
        Assert.DoesNotContain("Pack", run.StandardOutput);
        Assert.Equal(before, Snapshot(packages));
    }

    [Fact]
    public async Task A_target_that_needs_fewer_tools_checks_only_those()
    {
        using var path = PathWithout("shellcheck", "yamllint", "wrk", "apt-get", "sudo");
        // Inside the validation build this runs while the build is writing its TRX files (the toolkit's are there).
        var trx = Path.Combine(RepositoryPaths.RepositoryRoot, "artifacts", "validation", "trx");
        var before = Snapshot(trx);

        var run = await RunAsync(path.Value, "--target=Pack", "--dry-run");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("This was a dry run.", run.StandardOutput);
        // A dry run changes nothing, test results included.
        Assert.Equal(before, Snapshot(trx));
    }

    [Fact]
    public async Task The_repository_scripts_pass_shellcheck()
    {
        var root = RepositoryPaths.RepositoryRoot;
        var result = await ProcessRunner.RunAsync(
            "shellcheck", ["--external-sources", "--severity=style", "build.sh", "build/prerequisites.sh", ".ci/run"],
            root, TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, result.Output);
    }

    private static Task<ProcessResult> RunAsync(string path, params string[] arguments) =>
        ProcessRunner.RunAsync("bash", [BuildScript, .. arguments], RepositoryPaths.RepositoryRoot, TimeSpan.FromMinutes(3),
            new Dictionary<string, string?> { ["PATH"] = path, ["PG_BIN"] = null },
            TestContext.Current.CancellationToken);

    private static string Snapshot(string folder) => Directory.Exists(folder)
        ? string.Join('\n', Directory.GetFiles(folder).Order().Select(f => $"{f} {File.GetLastWriteTimeUtc(f):O}"))
        : "(none)";

    /// <summary>A PATH of one folder that links every program of this PATH except the ones named.</summary>
    private static TemporaryPath PathWithout(params string[] programs)
    {
        var folder = Directory.CreateTempSubdirectory("path-without-").FullName;
        foreach (var directory in Environment.GetEnvironmentVariable("PATH")!.Split(':', StringSplitOptions.RemoveEmptyEntries).Where(Directory.Exists))
        {
            foreach (var program in Directory.EnumerateFiles(directory))
            {
                var link = Path.Combine(folder, Path.GetFileName(program));
                if (!programs.Contains(Path.GetFileName(program)) && !File.Exists(link))
                {
                    File.CreateSymbolicLink(link, program);
                }
            }
        }

        return new TemporaryPath(folder);
    }

    private sealed record TemporaryPath(string Value) : IDisposable
    {
        public void Dispose() => Directory.Delete(Value, recursive: true);
    }

    [GeneratedRegex(@"\bTask\(""([A-Za-z]+)""\)")]
    private static partial Regex CakeTask();

    [GeneratedRegex(@"\[([A-Za-z]+)\]=""sdk")]
    private static partial Regex TargetToolsEntry();
}
