using System.Globalization;
using System.Text.RegularExpressions;
using CloudRunSpace.Validation.Processes;

namespace CloudRunSpace.Validation.Load;

/// <summary>Runs the wrk HTTP load generator and reads its report.</summary>
public static partial class Wrk
{
    /// <summary>Whether wrk is on PATH.</summary>
    public static bool IsInstalled =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "wrk")));

    /// <summary>Runs wrk against <paramref name="url"/> and returns what it measured.</summary>
    /// <param name="url">The URL every request goes to.</param>
    /// <param name="connections">Open connections (wrk -c), kept at that concurrency for the whole run.</param>
    /// <param name="duration">How long the load lasts (wrk -d).</param>
    /// <param name="logFile">wrk's report and command line go here.</param>
    /// <param name="authorization">
    /// An Authorization header value, or null. It reaches wrk through its environment and a script that holds only the
    /// variable's name, never on its command line (which the log and every process listing show).
    /// </param>
    /// <param name="requestTimeout">A request that takes longer counts as a timeout error (wrk --timeout).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <exception cref="InvalidOperationException">wrk is not installed, failed, or printed no report.</exception>
    public static async Task<WrkResult> RunAsync(
        Uri url, int connections, TimeSpan duration, string logFile, string? authorization = null,
        TimeSpan? requestTimeout = null, CancellationToken cancellationToken = default)
    {
        if (!IsInstalled)
        {
            throw new InvalidOperationException("wrk is not installed (apt-get install wrk; ./build.sh installs it on Debian)");
        }

        var arguments = new List<string>
        {
            "-t2", $"-c{connections}", $"-d{(int)Math.Ceiling(duration.TotalSeconds)}s", "--latency",
            "--timeout", $"{(int)Math.Ceiling((requestTimeout ?? TimeSpan.FromSeconds(10)).TotalSeconds)}s",
        };
        Dictionary<string, string?>? environment = null;
        if (authorization is not null)
        {
            var script = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(logFile))!, "wrk-authorization.lua");
            Directory.CreateDirectory(Path.GetDirectoryName(script)!);
            await File.WriteAllTextAsync(script, "wrk.headers[\"Authorization\"] = os.getenv(\"WRK_AUTHORIZATION\")\n", cancellationToken);
            arguments.AddRange(["-s", script]);
            environment = new() { ["WRK_AUTHORIZATION"] = authorization };
        }

        arguments.Add(url.ToString());
        var run = await ProcessRunner.RunAsync(
            "wrk", arguments, Path.GetTempPath(), duration + TimeSpan.FromMinutes(1), environment, cancellationToken, logFile);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited {run.ExitCode} on {url}; see {logFile}");
        }

        return Parse(run.StandardOutput) ?? throw new InvalidOperationException($"wrk printed no report for {url}; see {logFile}");
    }

    /// <summary>Reads wrk's <c>--latency</c> report; null when it holds no request count or rate.</summary>
    /// <param name="output">wrk's standard output.</param>
    public static WrkResult? Parse(string output)
    {
        var requests = RequestsPattern().Match(output);
        var rate = RatePattern().Match(output);
        if (!requests.Success || !rate.Success)
        {
            return null;
        }

        var socket = SocketErrorsPattern().Match(output);
        var socketErrors = socket.Success ? Enumerable.Range(1, 4).Sum(i => int.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture)) : 0;
        var non2xx = Non2xxPattern().Match(output);
        return new WrkResult(
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture),
            Latency(output, "50%"),
            Latency(output, "99%"),
            socketErrors,
            non2xx.Success ? int.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    // "    99%   12.34ms" in milliseconds; NaN when the line is missing.
    private static double Latency(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s|m)\b", RegexOptions.Multiline);
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            _ => value * 60_000,
        };
    }

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsPattern();

    [GeneratedRegex(@"Requests/sec:\s*([\d.]+)")]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsPattern();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xxPattern();
}
