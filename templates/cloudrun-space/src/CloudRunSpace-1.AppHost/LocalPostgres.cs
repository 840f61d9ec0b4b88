using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace CloudRunSpace_1.AppHost;

/// <summary>
/// A throwaway PostgreSQL cluster from the server binaries on this machine: initdb into a temp folder, a free
/// loopback port, password (SCRAM) authentication, the given role as its owner; the folder is removed on dispose.
/// The AppHost runs its server as a resource (<see cref="ServerCommand"/>); the tests start it themselves (<see cref="Start"/>).
/// </summary>
public sealed class LocalPostgres : IDisposable
{
    private readonly string _folder;
    private readonly string _binaries;

    private LocalPostgres(string binaries, string role, string password)
    {
        _binaries = binaries;
        _folder = Directory.CreateTempSubdirectory("space-postgres-").FullName;
        Role = role;
        Password = password;
        Port = FreePort();
    }

    /// <summary>The database role the space signs in as: the cluster's owner.</summary>
    public string Role { get; }

    /// <summary>The role's password.</summary>
    public string Password { get; }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The data folder (initdb's output).</summary>
    public string DataFolder => Path.Combine(_folder, "data");

    /// <summary>The folder for the server's Unix socket.</summary>
    public string SocketFolder => _folder;

    /// <summary>Whether this machine has the server binaries (or <c>PG_BIN</c> names them).</summary>
    public static bool IsAvailable => FindBinaries() is not null;

    /// <summary>The program that runs the server in the foreground, and its arguments (as the postgres user when root).</summary>
    public (string FileName, string[] Arguments) ServerCommand =>
        AsOwner(Path.Combine(_binaries, "postgres"), ["-D", DataFolder, .. ServerOptions]);

    // Loopback only, the socket in the cluster's own folder, and no fsync: the data is thrown away anyway.
    private string[] ServerOptions =>
        ["-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", SocketFolder,
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"];

    /// <summary>A connection string for <see cref="Role"/>; <paramref name="withPassword"/> false leaves the password out.</summary>
    public string ConnectionString(bool withPassword = true) =>
        $"Host=127.0.0.1;Port={Port};Username={Role};Database=postgres" + (withPassword ? $";Password={Password}" : string.Empty);

    /// <summary>Starts the server in the background and waits until it accepts connections (<c>pg_ctl start -w</c>).</summary>
    public void Start()
    {
        var (pgCtl, arguments) = AsOwner(Path.Combine(_binaries, "pg_ctl"),
            ["-D", DataFolder, "-l", Path.Combine(_folder, "postgres.log"), "-w", "-o", string.Join(' ', ServerOptions), "start"]);
        Run(pgCtl, arguments);
    }

    /// <summary>Makes a new cluster owned by <paramref name="role"/>; fails with what to install when there are no binaries.</summary>
    public static LocalPostgres Create(string role, string? password = null)
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries (initdb, postgres) found. Install them (apt-get install postgresql | " +
            "brew install postgresql@15 | winget install PostgreSQL.PostgreSQL.15), set PG_BIN to their folder, " +
            "or set ConnectionStrings__Database to a database of yours.");
        var postgres = new LocalPostgres(binaries, role, password ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        postgres.Initialize();
        return postgres;
    }

    private void Initialize()
    {
        var passwordFile = Path.Combine(_folder, "pwfile");
        File.WriteAllText(passwordFile, Password);
        if (Environment.IsPrivilegedProcess)
        {
            Run("chown", ["-R", "postgres", _folder]);
        }

        var (initdb, arguments) = AsOwner(Path.Combine(_binaries, "initdb"),
            ["-D", DataFolder, "-U", Role, "--pwfile", passwordFile, "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync"]);
        Run(initdb, arguments);
        File.Delete(passwordFile);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // The server may outlive the AppHost by a moment (the orchestrator stops it on its own time): stop it first.
        if (File.Exists(Path.Combine(DataFolder, "postmaster.pid")))
        {
            var (pgCtl, arguments) = AsOwner(Path.Combine(_binaries, "pg_ctl"), ["-D", DataFolder, "-m", "fast", "-w", "stop"]);
            try
            {
                Run(pgCtl, arguments);
            }
            catch (InvalidOperationException)
            {
                // Stopped in the meantime.
            }
        }

        for (var attempt = 0; attempt < 20 && Directory.Exists(_folder); attempt++)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string?> { Environment.GetEnvironmentVariable("PG_BIN") };
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(version => int.TryParse(Path.GetFileName(version), out var major) ? major : 0)
                .Select(version => Path.Combine(version, "bin")));
        }

        candidates.AddRange(["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"]);
        return candidates.FirstOrDefault(folder => !string.IsNullOrEmpty(folder) && File.Exists(Path.Combine(folder, "initdb")));
    }

    // initdb and postgres refuse to run as root: then they run as the `postgres` user.
    private static (string FileName, string[] Arguments) AsOwner(string program, string[] arguments) =>
        Environment.IsPrivilegedProcess ? ("runuser", ["-u", "postgres", "--", program, .. arguments]) : (program, arguments);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} exited with {process.ExitCode}: {error}{output.Result}");
        }
    }
}
