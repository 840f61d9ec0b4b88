using System.Diagnostics;

namespace CloudRunSpace.Validation.Processes;

/// <summary>How a <see cref="ServiceProcess"/> ended when it was stopped.</summary>
/// <param name="ExitCode">Its exit code; null when it had to be killed.</param>
/// <param name="Seconds">From SIGTERM to exit.</param>
/// <param name="Killed">SIGTERM was not enough within the grace period.</param>
public sealed record StopResult(int? ExitCode, double Seconds, bool Killed = false)
{
    /// <inheritdoc />
    public override string ToString() =>
        Killed ? $"killed after {Seconds:0.0} s (SIGTERM was not enough)" : $"exit code {ExitCode} after {Seconds:0.0} s";
}

/// <summary>
/// A long-running child process (a service, a fake, a job) whose stdout and stderr go to a log file, stdout lines
/// also to memory for checks; stopped with SIGTERM as Cloud Run stops it. The log names the settings given, never
/// their values (they may be secrets); stderr lines are prefixed with "stderr: ".
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    // Settings of the calling shell that must not leak in (an ASPNETCORE_URLS would beat PORT).
    private static readonly string[] InheritedSettingsToDrop =
        ["ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "K_SERVICE", "PORT"];

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    /// <summary>Starts <paramref name="fileName"/>; its output goes to <paramref name="logFile"/>.</summary>
    /// <param name="name">A name for messages, e.g. <c>backend</c>.</param>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Settings on top of the inherited environment.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <param name="logFile">Its log (the folder is created).</param>
    public ServiceProcess(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        string workingDirectory, string logFile)
    {
        Name = name;
        LogFile = logFile;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        var start = ProcessRunner.RedirectedStartInfo(fileName, arguments, workingDirectory);
        foreach (var key in InheritedSettingsToDrop)
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _log = new StreamWriter(logFile, append: false) { AutoFlush = true };
        _log.WriteLine($"# {fileName} {string.Join(" ", start.ArgumentList)}");
        _log.WriteLine($"# in {workingDirectory}; settings: {string.Join(", ", environment.Keys.Order(StringComparer.Ordinal))}");
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Capture(e.Data, _stdout, "");
        _process.ErrorDataReceived += (_, e) => Capture(e.Data, _stderr, "stderr: ");
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Started = DateTimeOffset.UtcNow;
    }

    /// <summary>The name given at start.</summary>
    public string Name { get; }

    /// <summary>Its log file.</summary>
    public string LogFile { get; }

    /// <summary>Its process id.</summary>
    public int Id => _process.Id;

    /// <summary>When it was started.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code, once it has exited.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>How the last <see cref="Stop"/> ended, or null.</summary>
    public StopResult? LastStop { get; private set; }

    /// <summary>A snapshot of the stdout lines so far.</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    /// <summary>
    /// For a process that ended while it was awaited, in one line for a report: "exited with 134 before it was ready:
    /// Unhandled exception. …" (the runtime's own line, else the last stderr line).
    /// </summary>
    /// <param name="moment">What it ended before, e.g. "it was ready".</param>
    public string ExitedBefore(string moment)
    {
        WaitForExit(TimeSpan.FromSeconds(5)); // its last words reach stderr
        string? line;
        lock (_gate)
        {
            line = _stderr.FirstOrDefault(l => l.StartsWith("Unhandled exception.", StringComparison.Ordinal))
                ?? _stderr.LastOrDefault(l => l.Trim().Length > 0);
        }

        var cause = line is null ? "" : ": " + (line.Length <= 300 ? line.Trim() : line[..300].Trim() + " …");
        return $"exited with {ExitCode} before {moment}{cause}";
    }

    /// <summary>Waits for its own exit (e.g. a job's); false on timeout.</summary>
    /// <param name="timeout">How long to wait.</param>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit((int)timeout.TotalMilliseconds))
        {
            return false;
        }

        _process.WaitForExit(); // drains the output readers
        return true;
    }

    /// <summary>Waits until a stdout line satisfies <paramref name="ready"/>; false when it exits first or the time runs out.</summary>
    /// <param name="ready">The line wanted.</param>
    /// <param name="timeout">How long to wait.</param>
    public bool WaitForLine(Func<string, bool> ready, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (StdoutLines.Any(ready))
            {
                return true;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit();
                return StdoutLines.Any(ready);
            }

            Thread.Sleep(100);
        }

        return false;
    }

    /// <summary>SIGTERM, as Cloud Run sends it; killed when it has not exited after <paramref name="grace"/> (10 s by default).</summary>
    /// <param name="grace">How long it may take to exit.</param>
    public StopResult Stop(TimeSpan? grace = null)
    {
        if (LastStop is not null)
        {
            return LastStop;
        }

        if (_process.HasExited)
        {
            _process.WaitForExit();
            return Note(new StopResult(_process.ExitCode, 0), "had already exited");
        }

        var watch = Stopwatch.StartNew();
        SendSigterm(_process.Id);
        if (_process.WaitForExit((int)(grace ?? TimeSpan.FromSeconds(10)).TotalMilliseconds))
        {
            _process.WaitForExit();
            return Note(new StopResult(_process.ExitCode, watch.Elapsed.TotalSeconds), "SIGTERM");
        }

        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        return Note(new StopResult(null, watch.Elapsed.TotalSeconds, Killed: true), "SIGTERM");
    }

    /// <summary>Stops it if it still runs and closes its log.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Stop();
            }
        }
        catch (InvalidOperationException)
        {
            // never started
        }

        lock (_gate)
        {
            _log.Dispose();
        }

        _process.Dispose();
    }

    private void Capture(string? line, List<string> lines, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            lines.Add(line);
            _log.WriteLine(prefix + line);
        }
    }

    private StopResult Note(StopResult result, string how)
    {
        LastStop = result;
        lock (_gate)
        {
            _log.WriteLine($"# stopped ({how}): {result}");
        }

        return result;
    }

    private static void SendSigterm(int pid)
    {
        // bash's builtin kill: a /bin/kill (procps) is not on every slim machine.
        using var kill = Process.Start(new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", "kill -s TERM \"$1\"", "sigterm", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            UseShellExecute = false,
        })!;
        kill.WaitForExit();
    }
}
