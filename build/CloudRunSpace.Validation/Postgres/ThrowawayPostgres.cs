using System.Diagnostics;
using CloudRunSpace.Validation.Processes;

namespace CloudRunSpace.Validation.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster in a temp folder on a free loopback port, removed on dispose. TCP connections
/// authenticate with SCRAM passwords (so a wrong password or token is refused); the superuser works over the Unix
/// socket only. The server binaries come from PG_BIN or /usr/lib/postgresql/*/bin (newest first); as root,
/// initdb, pg_ctl and psql run as the <c>postgres</c> user, which owns the folder.
/// </summary>
public sealed class ThrowawayPostgres : IDisposable
{
    private readonly string _bin;

    /// <summary>Chooses the binaries, a temp folder and a port; <see cref="Initialize"/> creates and starts the cluster.</summary>
    /// <param name="logFile">Where the commands and, on dispose, the server's own log go.</param>
    /// <exception cref="LoggedFailureException">No PostgreSQL server binaries were found.</exception>
    public ThrowawayPostgres(string logFile)
    {
        _bin = FindBinaries() ?? throw new LoggedFailureException(
            "no PostgreSQL server binaries (set PG_BIN, or install PostgreSQL: /usr/lib/postgresql/*/bin)");
        // Its own temp folder (mode 700): as root it is handed to the `postgres` user, which must reach it.
        Folder = Directory.CreateTempSubdirectory("cloudrunspace-pg-").FullName;
        LogFile = logFile;
        Port = FreePorts.Next();
    }

    /// <summary>The cluster's temp folder (data directory and Unix socket).</summary>
    public string Folder { get; }

    /// <summary>The loopback TCP port.</summary>
    public int Port { get; }

    /// <summary>The log of the commands run.</summary>
    public string LogFile { get; }

    /// <summary>Whether the server was started and not stopped since.</summary>
    public bool IsRunning { get; private set; }

    private string DataDirectory => Path.Combine(Folder, "data");

    private static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>SQL text quoting of an identifier.</summary>
    /// <param name="name">A role or database name.</param>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>SQL text quoting of a string literal.</summary>
    /// <param name="text">The text.</param>
    public static string QuoteLiteral(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The folder with initdb and pg_ctl: PG_BIN, then /usr/lib/postgresql/*/bin (newest first), then common places; null if none.</summary>
    public static string? FindBinaries()
    {
        var candidates = new List<string?> { Environment.GetEnvironmentVariable("PG_BIN") };
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(v => int.TryParse(Path.GetFileName(v), out var major) ? major : 0)
                .Select(v => Path.Combine(v, "bin")));
        }

        candidates.AddRange(["/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"]);
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c)
            && File.Exists(Path.Combine(c, "initdb")) && File.Exists(Path.Combine(c, "pg_ctl")));
    }

    /// <summary>Creates the cluster and starts it.</summary>
    public void Initialize()
    {
        if (IsRoot)
        {
            Run("chown", ["-R", "postgres", Folder]);
        }

        RunAsOwner(null, "initdb", "-D", DataDirectory, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync");
        Start();
    }

    /// <summary>Starts the server (again).</summary>
    public void Start()
    {
        RunAsOwner(null, "pg_ctl", "-D", DataDirectory, "-l", Path.Combine(Folder, "postgres.log"), "-w", "-t", "30",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {Folder} -c fsync=off", "start");
        IsRunning = true;
    }

    /// <summary>Stops the server.</summary>
    /// <param name="mode">fast (ends sessions, clean shutdown) or immediate (like a crash).</param>
    public void Stop(string mode = "fast")
    {
        RunAsOwner(null, "pg_ctl", "-D", DataDirectory, "-m", mode, "-w", "-t", "30", "stop");
        IsRunning = false;
    }

    /// <summary>Runs SQL as the superuser over the Unix socket; returns psql's unaligned, tuples-only output.</summary>
    /// <param name="sql">The SQL.</param>
    /// <param name="database">The database to connect to.</param>
    /// <param name="secret">The SQL holds a password: the log shows "(SQL not logged)" instead.</param>
    public string Sql(string sql, string database = "postgres", bool secret = false) =>
        RunAsOwner(secret ? "(SQL not logged)" : null, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", Folder,
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-c", sql).Trim();

    /// <summary>Stops the server if it runs, keeps its log with <see cref="LogFile"/> and removes the folder.</summary>
    public void Dispose()
    {
        try
        {
            if (IsRunning)
            {
                Stop("immediate");
            }
        }
        catch (LoggedFailureException)
        {
            // already gone; the folder goes anyway
        }

        var serverLog = Path.Combine(Folder, "postgres.log");
        try
        {
            if (File.Exists(serverLog))
            {
                File.AppendAllText(LogFile, "# server log:\n" + File.ReadAllText(serverLog));
            }
        }
        catch (IOException)
        {
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private string RunAsOwner(string? hideLastArgument, string tool, params string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        return IsRoot ? Run("runuser", ["-u", "postgres", "--", path, .. arguments], hideLastArgument) : Run(path, arguments, hideLastArgument);
    }

    private string Run(string fileName, string[] arguments, string? hideLastArgument = null)
    {
        var start = ProcessRunner.RedirectedStartInfo(fileName, arguments, Folder);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var shown = hideLastArgument is null ? arguments : [.. arguments[..^1], hideLastArgument];
        File.AppendAllText(LogFile,
            $"$ {Path.GetFileName(fileName)} {string.Join(" ", shown.Select(a => a.Contains(' ', StringComparison.Ordinal) ? "\"" + a + "\"" : a))}\n# exit code {process.ExitCode}\n{error.Result}");
        if (process.ExitCode != 0)
        {
            var tool = Path.GetFileName(arguments.FirstOrDefault(a => a.StartsWith('/')) ?? fileName);
            throw new LoggedFailureException($"{tool} failed with exit code {process.ExitCode}: {error.Result.Trim()}", LogFile);
        }

        return output.Result;
    }
}
