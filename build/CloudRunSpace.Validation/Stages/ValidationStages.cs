using System.Diagnostics;
using CloudRunSpace.Validation.Processes;
using CloudRunSpace.Validation.Reporting;

namespace CloudRunSpace.Validation.Stages;

/// <summary>What one tool run of a stage did.</summary>
public sealed class StageRun
{
    /// <summary>Its exit code (-1 when it timed out).</summary>
    public int ExitCode { get; init; }

    /// <summary>It was killed at its time limit.</summary>
    public bool TimedOut { get; init; }

    /// <summary>stdout and stderr interleaved.</summary>
    public string Output { get; init; } = "";

    /// <summary>How long it ran.</summary>
    public double Seconds { get; init; }

    /// <summary>Its log file.</summary>
    public string LogFile { get; init; } = "";
}

/// <summary>
/// The validation stages: each runs its tool with a log under artifacts/validation/logs/ (stdout and stderr
/// interleaved, <see cref="ProcessRunner"/>), records a <see cref="StageResult"/> and tells whether it passed.
/// Lines for the console go to the two callbacks, so the build script decides how they are shown.
/// </summary>
/// <param name="paths">Where things are.</param>
/// <param name="report">Where results go.</param>
/// <param name="information">Prints a line.</param>
/// <param name="error">Prints an error line.</param>
public sealed partial class ValidationStages(BuildPaths paths, ValidationReport report, Action<string> information, Action<string> error)
{
    /// <summary>The template's short name.</summary>
    public const string TemplateShortName = Templates.TemplateHive.ShortName;

    /// <summary>Variants are built and tested the way a user first does it: the default Debug configuration.</summary>
    public const string VariantConfiguration = "Debug";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Where things are.</summary>
    public BuildPaths Paths => paths;

    /// <summary>Where results go.</summary>
    public ValidationReport Report => report;

    /// <summary>Why a run failed, or null: timed out, or a non-zero exit code.</summary>
    /// <param name="run">The run.</param>
    public static string? ExitCodeProblem(StageRun run) =>
        run.TimedOut ? "timed out" : run.ExitCode != 0 ? $"exit code {run.ExitCode}" : null;

    /// <summary>A repository-level stage whose failure leaves nothing for later stages to do: throws unless it passed.</summary>
    /// <param name="passed">Whether it passed.</param>
    /// <param name="stage">What it was.</param>
    /// <exception cref="InvalidOperationException">It did not pass.</exception>
    public static void Require(bool passed, string stage)
    {
        if (!passed)
        {
            throw new InvalidOperationException($"{stage} failed; the stages after it cannot run.");
        }
    }

    /// <summary>Runs a tool with the quiet-dotnet environment, its output into <paramref name="logFile"/>; a timeout is a result, not an exception.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="logFile">Its log.</param>
    /// <param name="workingDirectory">Its working directory (the repository root when null).</param>
    /// <param name="environment">Extra settings (a null value removes one).</param>
    /// <param name="timeout">Its time limit (30 minutes when null).</param>
    public StageRun Run(string fileName, IEnumerable<string> arguments, string logFile, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var result = ProcessRunner.RunAsync(fileName, arguments, workingDirectory ?? paths.Root, timeout ?? DefaultTimeout,
                DotnetEnvironment.QuietWith(environment), logFile: logFile).GetAwaiter().GetResult();
            return new StageRun { ExitCode = result.ExitCode, Output = result.Output, Seconds = result.Elapsed.TotalSeconds, LogFile = logFile };
        }
        catch (TimeoutException e)
        {
            return new StageRun { ExitCode = -1, TimedOut = true, Output = e.Message, Seconds = watch.Elapsed.TotalSeconds, LogFile = logFile };
        }
    }

    /// <summary><see cref="Run"/> of <c>dotnet</c>.</summary>
    /// <param name="arguments">dotnet's arguments.</param>
    /// <param name="logFile">Its log.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <param name="environment">Extra settings.</param>
    /// <param name="timeout">Its time limit.</param>
    public StageRun Dotnet(IEnumerable<string> arguments, string logFile, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        Run("dotnet", arguments, logFile, workingDirectory, environment, timeout);

    /// <summary>Records a stage; on failure prints the end of its log, so a CI log shows the cause.</summary>
    /// <param name="variant">The variant, or <see cref="ValidationReport.RepositoryStages"/>.</param>
    /// <param name="stage">The stage.</param>
    /// <param name="run">What its tool did.</param>
    /// <param name="problem">Why it failed, or null.</param>
    /// <param name="detail">What it found, when it passed.</param>
    /// <returns>Whether it passed.</returns>
    public bool Record(string variant, string stage, StageRun run, string? problem, string detail = "")
    {
        report.Add(new StageResult
        {
            Variant = variant,
            Stage = stage,
            Status = problem is null ? StageStatus.Passed : StageStatus.Failed,
            Seconds = run.Seconds,
            Detail = problem ?? detail,
            LogFile = run.LogFile,
        });
        if (problem is null)
        {
            information($"{variant} {stage}: passed in {run.Seconds:0.0} s {detail}");
            return true;
        }

        error($"{variant} {stage}: FAILED ({problem}) after {run.Seconds:0.0} s; log: {run.LogFile}");
        ShowLogTail(run.LogFile);
        return false;
    }

    private void ShowLogTail(string logFile, int lines = 30)
    {
        if (!File.Exists(logFile))
        {
            return;
        }

        var tail = File.ReadLines(logFile).TakeLast(lines).ToList();
        information($"---- last {tail.Count} lines of {logFile} ----");
        foreach (var line in tail)
        {
            information("  " + line);
        }

        information("----");
    }
}
