using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.InfrastructureTests;

/// <summary>The process runner the template tests depend on: captures output, never waits on stdin, stops runaways.</summary>
public sealed class ProcessRunnerTests
{
    private const string Shell = "/bin/sh";

    [Fact]
    public async Task CapturesOutputAndExitCode()
    {
        SkipWithoutShell();

        var result = await RunShellAsync("echo out; echo err >&2; exit 3", TimeSpan.FromSeconds(30));

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out", result.StandardOutput.Trim());
        Assert.Equal("err", result.StandardError.Trim());
    }

    [Fact]
    public async Task AChildThatReadsStdinGetsEndOfInputInsteadOfHanging()
    {
        SkipWithoutShell();

        var result = await RunShellAsync("if read -r line; then echo got-input; else echo end-of-input; fi", TimeSpan.FromSeconds(30));

        Assert.Equal("end-of-input", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task AChildThatOverrunsItsTimeIsKilledAndReported()
    {
        SkipWithoutShell();
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<TimeoutException>(() => RunShellAsync("echo started; sleep 60", TimeSpan.FromSeconds(1)));

        Assert.Contains("did not finish within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("started", error.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "The runner waited for the child instead of killing it.");
    }

    [Fact]
    public async Task AChildThatFloodsItsOutputIsStopped()
    {
        SkipWithoutShell();

        // Like a post action that prompts forever on end-of-input.
        var error = await Assert.ThrowsAsync<TimeoutException>(() => RunShellAsync("while :; do echo again; done", TimeSpan.FromMinutes(2)));

        Assert.Contains("printed more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnvironmentOverridesReachTheChild()
    {
        SkipWithoutShell();

        var result = await ProcessRunner.RunAsync(
            Shell, ["-c", "echo \"$CRS_PROBE\""], Path.GetTempPath(), TimeSpan.FromSeconds(30),
            new Dictionary<string, string?> { ["CRS_PROBE"] = "set-by-test" }, TestContext.Current.CancellationToken);

        Assert.Equal("set-by-test", result.StandardOutput.Trim());
    }

    private static Task<ProcessResult> RunShellAsync(string script, TimeSpan timeout) =>
        ProcessRunner.RunAsync(Shell, ["-c", script], Path.GetTempPath(), timeout, cancellationToken: TestContext.Current.CancellationToken);

    private static void SkipWithoutShell()
    {
        if (!File.Exists(Shell))
        {
            Assert.Skip($"{Shell} is not available on this machine.");
        }
    }
}
