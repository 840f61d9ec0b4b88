using CloudRunSpace.Validation.Processes;

namespace CloudRunSpace.Validation.Tests.Processes;

/// <summary>The process runner the pack's tests and the build depend on: captures output, never waits on stdin, stops runaways.</summary>
public sealed class ProcessRunnerTests
{
    private const string Shell = "/bin/sh";

    [Fact]
    public async Task Stdout_stderr_and_the_exit_code_are_captured()
    {
        SkipWithoutShell();

        var result = await RunShellAsync("echo out; echo err >&2; exit 3", TimeSpan.FromSeconds(30));

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out", result.StandardOutput.Trim());
        Assert.Equal("err", result.StandardError.Trim());
    }

    [Fact]
    public async Task A_child_that_reads_stdin_gets_end_of_input_instead_of_hanging()
    {
        SkipWithoutShell();

        var result = await RunShellAsync("if read -r line; then echo got-input; else echo end-of-input; fi", TimeSpan.FromSeconds(30));

        Assert.Equal("end-of-input", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_child_that_overruns_its_time_is_killed_and_reported()
    {
        SkipWithoutShell();
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<TimeoutException>(() => RunShellAsync("echo started; sleep 60", TimeSpan.FromSeconds(1)));

        Assert.Contains("did not finish within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("started", error.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "The runner waited for the child instead of killing it.");
    }

    [Fact]
    public async Task A_child_that_floods_its_output_is_stopped()
    {
        SkipWithoutShell();

        // Like a post action that prompts forever on end-of-input.
        var error = await Assert.ThrowsAsync<TimeoutException>(() => RunShellAsync("while :; do echo again; done", TimeSpan.FromMinutes(2)));

        Assert.Contains("printed more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_overrides_reach_the_child()
    {
        SkipWithoutShell();

        var result = await ProcessRunner.RunAsync(
            Shell, ["-c", "echo \"$CRS_PROBE\""], Path.GetTempPath(), TimeSpan.FromSeconds(30),
            new Dictionary<string, string?> { ["CRS_PROBE"] = "set-by-test" }, TestContext.Current.CancellationToken);

        Assert.Equal("set-by-test", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_log_file_gets_the_command_the_interleaved_output_and_the_exit_code()
    {
        SkipWithoutShell();
        var log = Path.Combine(Directory.CreateTempSubdirectory("runner-log-").FullName, "logs", "run.log");

        var result = await ProcessRunner.RunAsync(
            Shell, ["-c", "echo one; echo two >&2; sleep 0.2; echo three; exit 4"], Path.GetTempPath(), TimeSpan.FromSeconds(30),
            cancellationToken: TestContext.Current.CancellationToken, logFile: log);

        var lines = File.ReadAllLines(log);
        Assert.Equal($"$ {Shell} -c \"echo one; echo two >&2; sleep 0.2; echo three; exit 4\"", lines[0]);
        Assert.Equal(["one", "two"], lines[2..4].Order().ToArray());
        Assert.Equal("three", lines[4]);
        Assert.StartsWith("# exit code 4 after ", lines[^1], StringComparison.Ordinal);
        Assert.Equal(log, result.LogFile);
        Assert.Contains("two", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("two", result.StandardOutput, StringComparison.Ordinal);
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
