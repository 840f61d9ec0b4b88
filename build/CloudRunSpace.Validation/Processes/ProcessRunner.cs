using System.Diagnostics;
using System.Text;

namespace CloudRunSpace.Validation.Processes;

/// <summary>
/// Runs a child process with captured output, a time limit and an output limit. Standard input is redirected and
/// closed at once: a child that prompts (e.g. a template's run-script post action) gets end-of-input instead of
/// hanging the run. With a log file, stdout and stderr are also written there interleaved, in the order the lines
/// arrived, between a line naming the command and one with its exit code.
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
    /// <param name="logFile">A file to write the interleaved output to (its folder is created), or null.</param>
    /// <returns>The exit code and the captured output.</returns>
    /// <exception cref="TimeoutException">The child ran longer than <paramref name="timeout"/>, or printed more than the output limit.</exception>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default,
        string? logFile = null)
    {
        var startInfo = RedirectedStartInfo(fileName, arguments, workingDirectory);
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

        var commandLine = fileName + " " + string.Join(' ', startInfo.ArgumentList.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        using var log = OpenLog(logFile);
        log?.WriteLine("$ " + commandLine);
        log?.WriteLine("# in " + workingDirectory);
        using var process = new Process { StartInfo = startInfo };
        var output = new CapturedOutput(log);
        using var limits = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limits.CancelAfter(timeout);
        process.OutputDataReceived += (_, e) => Append(output, e.Data, isError: false, limits);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data, isError: true, limits);

        var watch = Stopwatch.StartNew();
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
            var reason = output.Overflowed
                ? $"printed more than {MaxCapturedChars} characters"
                : cancellationToken.IsCancellationRequested ? "was cancelled" : $"did not finish within {timeout.TotalSeconds:0} s";
            output.WriteLog($"# killed: {reason}");
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"`{commandLine}` {reason} and was killed. Output so far (tail):{Environment.NewLine}{Tail(output.Interleaved)}");
        }

        // The parameterless wait drains the asynchronous output readers.
        process.WaitForExit();
        output.WriteLog($"# exit code {process.ExitCode} after {watch.Elapsed.TotalSeconds:0.0} s");
        return new ProcessResult(process.ExitCode, output.StandardOutput, output.StandardError, output.Interleaved, watch.Elapsed, logFile);
    }

    /// <summary>
    /// How the toolkit starts every child: no shell, arguments passed as they are, stdin, stdout and stderr redirected
    /// (stdin to be closed at once), output read as UTF-8.
    /// </summary>
    internal static ProcessStartInfo RedirectedStartInfo(string fileName, IEnumerable<string> arguments, string workingDirectory)
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

        return startInfo;
    }

    private static StreamWriter? OpenLog(string? logFile)
    {
        if (logFile is null)
        {
            return null;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        return new StreamWriter(logFile, append: false);
    }

    private static void Append(CapturedOutput output, string? line, bool isError, CancellationTokenSource limits)
    {
        if (line is not null && !output.TryAppendLine(line, isError, MaxCapturedChars))
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

    // stdout, stderr and both interleaved, bounded in size, and the log file they are copied to.
    private sealed class CapturedOutput(StreamWriter? log)
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly StringBuilder _interleaved = new();

        public bool Overflowed { get; private set; }

        public string StandardOutput { get { lock (_interleaved) { return _stdout.ToString(); } } }

        public string StandardError { get { lock (_interleaved) { return _stderr.ToString(); } } }

        public string Interleaved { get { lock (_interleaved) { return _interleaved.ToString(); } } }

        public bool TryAppendLine(string line, bool isError, int limit)
        {
            lock (_interleaved)
            {
                if (_interleaved.Length + line.Length > limit)
                {
                    Overflowed = true;
                    return false;
                }

                (isError ? _stderr : _stdout).AppendLine(line);
                _interleaved.AppendLine(line);
                log?.WriteLine(line);
                return true;
            }
        }

        public void WriteLog(string line)
        {
            lock (_interleaved)
            {
                log?.WriteLine(line);
            }
        }
    }
}
