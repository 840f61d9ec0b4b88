using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run: initdb into a temp folder, a free loopback port,
/// password (SCRAM) authentication, removed afterwards. Each test class gets its own database.
/// Set <c>TEST_DATABASE_URL</c> to use an existing server (a superuser connection string) instead.
/// Without PostgreSQL the database tests are skipped, or fail when <c>TESTS_REQUIRE_POSTGRES=true</c> (CI).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _folder;
    private string? _binaries;

    /// <summary>
    /// A login role whose password is the fake metadata server's access token: the database user of a backend
    /// that signs in the Cloud SQL IAM way. It owns every test database.
    /// </summary>
    public const string IamUser = "backend@test-project.iam";

    /// <summary>Why the database tests cannot run here, or null when they can.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>A superuser connection string to the server's <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; private set; } = string.Empty;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("TEST_DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
            await ExecuteAsync($"DO $$ BEGIN CREATE ROLE \"{IamUser}\" LOGIN PASSWORD '{FakeGoogle.AccessToken}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            return;
        }

        _binaries = FindBinaries();
        if (_binaries is null)
        {
            UnavailableReason = "No PostgreSQL server binaries (initdb, pg_ctl) found. Install them (apt-get install postgresql | " +
                "brew install postgresql@15 | winget install PostgreSQL.PostgreSQL.15), set PG_BIN to their folder, or set TEST_DATABASE_URL.";
            if (string.Equals(Environment.GetEnvironmentVariable("TESTS_REQUIRE_POSTGRES"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(UnavailableReason + " TESTS_REQUIRE_POSTGRES=true forbids skipping.");
            }

            return;
        }

        _folder = Directory.CreateTempSubdirectory("pg-tests-").FullName;
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var passwordFile = Path.Combine(_folder, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password);
        var port = FreePort();
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", ["-R", "postgres", _folder]);
        }

        var data = Path.Combine(_folder, "data");
        await RunAsPostgresAsync("initdb", ["-D", data, "-U", "postgres", "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync"]);
        await RunAsPostgresAsync("pg_ctl", ["-D", data, "-l", Path.Combine(_folder, "postgres.log"), "-w", "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {_folder} -c fsync=off", "start"]);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=postgres;Pooling=false";
        await ExecuteAsync($"CREATE ROLE \"{IamUser}\" LOGIN PASSWORD '{FakeGoogle.AccessToken}'");
    }

    /// <summary>Skips the calling test when no PostgreSQL is available.</summary>
    public void SkipIfUnavailable() => Assert.SkipWhen(UnavailableReason is not null, UnavailableReason ?? string.Empty);

    /// <summary>Creates an empty database and returns a connection string to it (as the superuser).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        SkipIfUnavailable();
        var name = "test_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync($"CREATE DATABASE {name} OWNER \"{IamUser}\"");
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_folder is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await RunAsPostgresAsync("pg_ctl", ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);
        Directory.Delete(_folder, recursive: true);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // initdb and postgres refuse to run as root: then they run as the `postgres` user.
    private Task RunAsPostgresAsync(string tool, string[] arguments)
    {
        var path = Path.Combine(_binaries!, tool);
        return Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}");
        }
    }
}
