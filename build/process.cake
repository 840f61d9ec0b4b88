// Runs a command line tool with its stdout and stderr interleaved into one log file, so a failure can be read
// in the order it happened. Standard input is closed: a tool that prompts (e.g. a template's run-script post
// action) gets end-of-file instead of hanging the build.
using System.Diagnostics;
using System.Net.Http;

public sealed class ToolRun
{
    public int ExitCode { get; init; }
    public bool TimedOut { get; init; }
    public string Output { get; init; } = "";
    public double Seconds { get; init; }
    public string LogFile { get; init; } = "";
}

// Variables that keep `dotnet` quiet and deterministic in every child process.
// Node reuse is off: a reused MSBuild node inherits the redirected output and keeps the pipe open after the
// build exits, which would make this runner wait for it.
static readonly IReadOnlyDictionary<string, string> QuietDotNetEnvironment = new Dictionary<string, string>
{
    ["DOTNET_NOLOGO"] = "1",
    ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    ["MSBUILDDISABLENODEREUSE"] = "1",
    ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
    ["DOTNET_CLI_UI_LANGUAGE"] = "en", // the checks read English messages ("was created successfully")
    ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
};

ToolRun RunTool(
    string fileName,
    IEnumerable<string> arguments,
    FilePath logFile,
    DirectoryPath workingDirectory = null,
    IDictionary<string, string> environment = null,
    TimeSpan? timeout = null)
{
    var args = arguments.ToList();
    var log = MakeAbsolute(logFile);
    EnsureDirectoryExists(log.GetDirectory());

    var start = new ProcessStartInfo(fileName)
    {
        WorkingDirectory = MakeAbsolute(workingDirectory ?? Context.Environment.WorkingDirectory).FullPath,
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    foreach (var arg in args) start.ArgumentList.Add(arg);
    foreach (var pair in QuietDotNetEnvironment) start.Environment[pair.Key] = pair.Value;
    if (environment != null)
        foreach (var pair in environment) start.Environment[pair.Key] = pair.Value;

    var output = new StringBuilder();
    var gate = new object();
    var commandLine = fileName + " " + string.Join(" ", args.Select(a => a.Contains(' ') ? "\"" + a + "\"" : a));
    var limit = timeout ?? TimeSpan.FromMinutes(30);
    var watch = Stopwatch.StartNew();
    bool timedOut;
    int exitCode;

    using (var writer = new StreamWriter(log.FullPath, append: false))
    using (var process = new Process { StartInfo = start })
    {
        writer.WriteLine("$ " + commandLine);
        writer.WriteLine("# in " + start.WorkingDirectory);
        void Append(string line)
        {
            if (line == null) return;
            lock (gate) { writer.WriteLine(line); output.AppendLine(line); }
        }
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        timedOut = !process.WaitForExit((int)limit.TotalMilliseconds);
        if (timedOut)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        else
        {
            process.WaitForExit(); // drains the asynchronous readers
        }
        exitCode = timedOut ? -1 : process.ExitCode;
        lock (gate)
        {
            writer.WriteLine(timedOut
                ? $"# killed after {limit.TotalMinutes:0} minutes without finishing"
                : $"# exit code {exitCode} after {watch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    return new ToolRun
    {
        ExitCode = exitCode,
        TimedOut = timedOut,
        Output = output.ToString(),
        Seconds = watch.Elapsed.TotalSeconds,
        LogFile = log.FullPath,
    };
}

ToolRun RunDotNet(IEnumerable<string> arguments, FilePath logFile, DirectoryPath workingDirectory = null,
    IDictionary<string, string> environment = null, TimeSpan? timeout = null)
    => RunTool("dotnet", arguments, logFile, workingDirectory, environment, timeout);

// Keeps one client's cookies and sends them back, Secure ones included: browsers treat http://127.0.0.1 as a
// secure context, .NET's CookieContainer does not, and on Cloud Run the frontend marks every cookie Secure.
public sealed class LoopbackCookieHandler : DelegatingHandler
{
    private readonly Dictionary<string, string> cookies = new();

    public LoopbackCookieHandler() : base(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (cookies)
            if (cookies.Count > 0) request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
            lock (cookies)
                foreach (var pair in values.Select(v => v.Split(';')[0].Split('=', 2)).Where(p => p.Length == 2))
                    cookies[pair[0]] = pair[1];
        return response;
    }
}
