namespace CloudRunSpace.Validation.Processes;

/// <summary>The outcome of one finished child process.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="StandardOutput">Everything the process wrote to stdout.</param>
/// <param name="StandardError">Everything the process wrote to stderr.</param>
/// <param name="Output">stdout and stderr interleaved in the order the lines arrived: what a person would have seen.</param>
/// <param name="Elapsed">How long the process ran.</param>
/// <param name="LogFile">The log the output was also written to, or null.</param>
public sealed record ProcessResult(
    int ExitCode, string StandardOutput, string StandardError, string Output, TimeSpan Elapsed, string? LogFile = null);
