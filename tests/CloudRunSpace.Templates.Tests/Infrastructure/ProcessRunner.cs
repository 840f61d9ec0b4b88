using System.Diagnostics;
using System.Text;

namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>The outcome of one finished child process.</summary>
/// <param name="ExitCode">The process exit code.</param>
/// <param name="StandardOutput">Everything the process wrote to stdout.</param>
/// <param name="StandardError">Everything the process wrote to stderr.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>stdout followed by stderr: what a person would have seen, for assertions and failure messages.</summary>
    public string Output => StandardError.Length == 0 ? StandardOutput : StandardOutput + Environment.NewLine + StandardError;
}

/// <summary>
/// Runs a child process with captured output, a time limit and an output limit. Standard input is
/// redirected and closed at once: a child that prompts (e.g. a run-script post action) gets end-of-input
/// instead of hanging the test run.
/// </summary>
public static class ProcessRunner
{
    // A prompting child that loops on end-of-input can print gigabytes in a minute: stop it well before that.
    private const int MaxCapturedChars = 4 * 1024 * 1024;

    // Variables that `dotnet test` sets for its own MSBuild and test host: inherited by a child `dotnet`,
    // they point it at the wrong MSBuild or make it behave like a test host.
    private static readonly string[] InheritedVariablesToDrop =
    [
        "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly",
        "VSTEST_HOST_DEBUG", "VSTEST_RUNNER_DEBUG",
    ];

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/> and waits for it to exit.</summary>
    /// <param name="fileName">The program to start (looked up on PATH when not a path).</param>
    /// <param name="arguments">Arguments, passed without shell interpretation.</param>
    /// <param name="workingDirectory">The child's working directory.</param>
    /// <param name="timeout">How long the child may run; on expiry its whole process tree is killed.</param>
    /// <param name="environment">Extra environment variables for the child; a null value removes a variable.</param>
    /// <param name="cancellationToken">Cancels the wait and kills the child.</param>
    /// <returns>The exit code and the captured output.</returns>
    /// <exception cref="TimeoutException">The child ran longer than <paramref name="timeout"/>, or printed more than the output limit.</exception>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in InheritedVariablesToDrop)
        {
            startInfo.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var commandLine = fileName + " " + string.Join(' ', startInfo.ArgumentList);
        using var process = new Process { StartInfo = startInfo };
        var stdout = new BoundedBuffer();
        var stderr = new BoundedBuffer();
        using var limits = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limits.CancelAfter(timeout);
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data, limits);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data, limits);

        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start: {commandLine}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await process.WaitForExitAsync(limits.Token);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            cancellationToken.ThrowIfCancellationRequested();
            var reason = stdout.Overflowed || stderr.Overflowed
                ? $"printed more than {MaxCapturedChars} characters"
                : $"did not finish within {timeout.TotalSeconds:0} s";
            throw new TimeoutException(
                $"`{commandLine}` {reason} and was killed. Output so far (tail):{Environment.NewLine}{Tail(stdout.ToString() + stderr.ToString())}");
        }

        // The parameterless wait drains the asynchronous output readers.
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static void Append(BoundedBuffer buffer, string? line, CancellationTokenSource limits)
    {
        if (line is null)
        {
            return;
        }

        if (!buffer.TryAppendLine(line, MaxCapturedChars))
        {
            limits.Cancel();
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private sealed class BoundedBuffer
    {
        private readonly StringBuilder _text = new();

        public bool Overflowed { get; private set; }

        public bool TryAppendLine(string line, int limit)
        {
            lock (_text)
            {
                if (_text.Length + line.Length > limit)
                {
                    Overflowed = true;
                    return false;
                }

                _text.AppendLine(line);
                return true;
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
