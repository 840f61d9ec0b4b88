// Runs a generated space as real processes, the way Cloud Run runs it: a throwaway PostgreSQL, the fake Google
// metadata server and token issuer (tests/CloudRunSpace.FakeGoogle), the backend's `migrate` entry, then the
// backend and the frontend as `dotnet X.dll` with PORT and K_SERVICE set. The one shared way to do this for the
// smoke, fault and benchmark targets.
//
//   var fake = BuildFakeGoogle(paths, report);                           // once per Cake run
//   using var space = new LocalSpace(SpaceSettingsForVariant(paths, variant, fake, "smoke"), Information);
//   space.Start();                        // throws SpaceException (with the log file to read) when a step fails
//   ... space.FrontendUrl, space.BackendUrl, space.FakeGoogleUrl, space.Backend.StdoutLines ...
//   var stop = space.Backend.Stop();      // SIGTERM: stop.ExitCode, stop.Seconds
//   space.Postgres.Stop(); space.Postgres.Start(); space.RestartBackend();   // faults
//   // Dispose stops whatever still runs (processes, PostgreSQL) and removes the temp folder, also on failure.
//
// Logs: <LogDirectory>/<LogPrefix>-{postgres,fake-google,migrate,backend,frontend}.log; a service's stdout lines
// are written as they are (one JSON object each on Cloud Run), its stderr lines prefixed with "stderr: ".
// Secrets (the database password) go to the processes' environment only, never to a log.
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;

public class SpaceException : Exception
{
    public SpaceException(string message, string logFile = "") : base(message) { LogFile = logFile; }
    public string LogFile { get; }
}

// A service could not listen: another process took its port between the choice and the bind.
public sealed class PortTakenException : SpaceException
{
    public PortTakenException(string message, string logFile) : base(message, logFile) { }
}

// Where a generated space's built services are and how its database signs in.
public sealed class SpaceSettings
{
    public string Name { get; init; } = "";                 // the solution name, e.g. Acme.Shop
    public string BackendDll { get; init; } = "";
    public string FrontendDll { get; init; } = "";
    public bool IamDatabaseAuth { get; init; }              // --db-auth iam: the backend signs in with an access token
    public string FakeGoogleDll { get; init; } = "";
    public string LogDirectory { get; init; } = "";
    public string LogPrefix { get; init; } = "";            // e.g. "Acme.Shop-smoke"
    // Extra configuration for migrate and both services (e.g. a log level); it wins over the space's own.
    public IDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    // The built output (bin/<configuration>/<tfm>/) of a space generated into `spaceDirectory`.
    public static SpaceSettings ForBuiltSpace(string spaceDirectory, string name, bool iamDatabaseAuth, string configuration,
        string fakeGoogleDll, string logDirectory, string logPrefix, IDictionary<string, string> extraEnvironment = null)
    {
        string Dll(string project)
        {
            var bin = System.IO.Path.Combine(spaceDirectory, "src", $"{name}.{project}", "bin", configuration);
            var found = System.IO.Directory.Exists(bin)
                ? System.IO.Directory.GetFiles(bin, $"{name}.{project}.dll", SearchOption.AllDirectories).Where(f => !f.Contains($"{System.IO.Path.DirectorySeparatorChar}publish{System.IO.Path.DirectorySeparatorChar}")).ToList()
                : new List<string>();
            if (found.Count != 1)
                throw new SpaceException(found.Count == 0
                    ? $"{name}.{project}.dll is not under {bin}: build the space ({configuration}) first"
                    : $"{name}.{project}.dll is there {found.Count} times under {bin}: {string.Join(", ", found)}");
            return found[0];
        }
        return new SpaceSettings
        {
            Name = name,
            BackendDll = Dll("Backend"),
            FrontendDll = Dll("Frontend"),
            IamDatabaseAuth = iamDatabaseAuth,
            FakeGoogleDll = fakeGoogleDll,
            LogDirectory = logDirectory,
            LogPrefix = logPrefix,
            ExtraEnvironment = extraEnvironment ?? new Dictionary<string, string>(),
        };
    }
}

public sealed class StopResult
{
    public int? ExitCode { get; init; }     // null: it had to be killed
    public double Seconds { get; init; }    // from SIGTERM to exit
    public bool Killed { get; init; }
    public override string ToString() => Killed ? $"killed after {Seconds:0.0} s (SIGTERM was not enough)" : $"exit code {ExitCode} after {Seconds:0.0} s";
}

// A child process whose stdout and stderr go to a log file (and stdout lines also to memory, for checks).
public sealed class SpaceProcess : IDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly object gate = new();
    private readonly List<string> stdout = new();
    private readonly List<string> stderr = new();
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StopResult stopResult;

    public SpaceProcess(string name, string fileName, IEnumerable<string> arguments, IDictionary<string, string> environment,
        string workingDirectory, string logFile)
    {
        Name = name;
        LogFile = logFile;
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(logFile)!);
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Settings of the shell Cake runs in must not leak in (an ASPNETCORE_URLS would beat PORT).
        foreach (var key in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "K_SERVICE", "PORT" })
            start.Environment.Remove(key);
        foreach (var pair in environment) start.Environment[pair.Key] = pair.Value;

        log = new StreamWriter(logFile, append: false) { AutoFlush = true };
        // Names of the settings only: their values may be secrets.
        log.WriteLine($"# {fileName} {string.Join(" ", start.ArgumentList)}");
        log.WriteLine($"# in {workingDirectory}; settings: {string.Join(", ", environment.Keys.OrderBy(k => k))}");
        process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (gate) { stdout.Add(e.Data); log.WriteLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (gate) { stderr.Add(e.Data); log.WriteLine("stderr: " + e.Data); } };
        process.Exited += (_, _) => exited.TrySetResult();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Started = DateTimeOffset.UtcNow;
    }

    public string Name { get; }
    public string LogFile { get; }
    public int Id => process.Id;
    public DateTimeOffset Started { get; }
    public bool HasExited => process.HasExited;
    public int? ExitCode => process.HasExited ? process.ExitCode : null;
    public StopResult LastStop => stopResult;

    // A snapshot of the stdout lines so far.
    public IReadOnlyList<string> StdoutLines { get { lock (gate) return stdout.ToList(); } }

    // For a process that ended while it was awaited, in one line for a report: "exited with 134 before it was
    // ready: Unhandled exception. …" (the runtime's own line, else the last stderr line).
    public string ExitedBefore(string moment)
    {
        WaitForExit(TimeSpan.FromSeconds(5)); // its last words reach stderr
        string line;
        lock (gate) line = stderr.FirstOrDefault(l => l.StartsWith("Unhandled exception.", StringComparison.Ordinal)) ?? stderr.LastOrDefault(l => l.Trim().Length > 0);
        var cause = line == null ? "" : ": " + (line.Length <= 300 ? line.Trim() : line.Substring(0, 300).Trim() + " …");
        return $"exited with {ExitCode} before {moment}{cause}";
    }

    // Waits for its own exit (e.g. `migrate`); false on timeout.
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit((int)timeout.TotalMilliseconds)) return false;
        process.WaitForExit(); // drains the output readers
        return true;
    }

    // Waits until a stdout line satisfies `ready`; false when the process exits first or the time runs out.
    public bool WaitForLine(Func<string, bool> ready, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (StdoutLines.Any(ready)) return true;
            if (process.HasExited) { process.WaitForExit(); return StdoutLines.Any(ready); }
            System.Threading.Thread.Sleep(100);
        }
        return false;
    }

    // SIGTERM, as Cloud Run sends it; killed when it has not exited after `grace` (Cloud Run's 10 s by default).
    public StopResult Stop(TimeSpan? grace = null)
    {
        if (stopResult != null) return stopResult;
        if (process.HasExited)
        {
            process.WaitForExit();
            return Note(stopResult = new StopResult { ExitCode = process.ExitCode, Seconds = 0 }, "had already exited");
        }
        var limit = grace ?? TimeSpan.FromSeconds(10);
        var watch = Stopwatch.StartNew();
        SendSigterm(process.Id);
        if (process.WaitForExit((int)limit.TotalMilliseconds))
        {
            process.WaitForExit();
            return Note(stopResult = new StopResult { ExitCode = process.ExitCode, Seconds = watch.Elapsed.TotalSeconds }, "SIGTERM");
        }
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return Note(stopResult = new StopResult { Killed = true, Seconds = watch.Elapsed.TotalSeconds }, "SIGTERM");
    }

    private StopResult Note(StopResult result, string how)
    {
        lock (gate) log.WriteLine($"# stopped ({how}): {result}");
        return result;
    }

    private static void SendSigterm(int pid)
    {
        // bash's builtin kill: a /bin/kill (procps) is not on every slim machine.
        using var kill = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { "-c", "kill -s TERM \"$1\"", "sigterm", pid.ToString() }, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        try { if (!process.HasExited) Stop(); } catch (InvalidOperationException) { /* never started */ }
        lock (gate) log.Dispose();
        process.Dispose();
    }
}

// A throwaway PostgreSQL cluster in a temp folder on a free loopback port: TCP connections authenticate with
// SCRAM passwords (so a wrong password or token is refused); the superuser works over the Unix socket only.
// As root, initdb/pg_ctl/psql run as the `postgres` user, which owns the folder.
public sealed class LocalPostgres : IDisposable
{
    private readonly string bin;
    private readonly string logFile;
    private bool running;

    public LocalPostgres(string logFile)
    {
        bin = FindBinaries() ?? throw new SpaceException("no PostgreSQL server binaries (set PG_BIN, or install PostgreSQL: /usr/lib/postgresql/*/bin)");
        // Its own temp folder (mode 700): as root it is handed to the `postgres` user, which must reach it.
        Folder = System.IO.Directory.CreateTempSubdirectory("cloudrunspace-pg-").FullName;
        this.logFile = logFile;
        Port = LocalSpace.FreePort();
    }

    public string Folder { get; }
    public int Port { get; }
    public string LogFile => logFile;
    private string DataDirectory => System.IO.Path.Combine(Folder, "data");
    private static bool IsRoot => Environment.IsPrivilegedProcess;

    public void Initialize()
    {
        if (IsRoot) Run("chown", new[] { "-R", "postgres", Folder });
        RunAsOwner("initdb", "-D", DataDirectory, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync");
        Start();
    }

    public void Start()
    {
        RunAsOwner("pg_ctl", "-D", DataDirectory, "-l", System.IO.Path.Combine(Folder, "postgres.log"), "-w", "-t", "30",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {Folder} -c fsync=off", "start");
        running = true;
    }

    // mode: fast (ends sessions, clean shutdown) or immediate (like a crash).
    public void Stop(string mode = "fast")
    {
        RunAsOwner("pg_ctl", "-D", DataDirectory, "-m", mode, "-w", "-t", "30", "stop");
        running = false;
    }

    public bool IsRunning => running;

    // Runs SQL as the superuser over the Unix socket; returns psql's unaligned, tuples-only output.
    // secret: the SQL holds a password, so the log shows "(SQL not logged)" instead.
    public string Sql(string sql, string database = "postgres", bool secret = false) =>
        RunAsOwnerHiding(secret ? "(SQL not logged)" : null, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", Folder, "-p", Port.ToString(), "-U", "postgres", "-d", database, "-c", sql).Trim();

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
    public static string QuoteLiteral(string text) => "'" + text.Replace("'", "''") + "'";

    private string RunAsOwner(string tool, params string[] arguments) => RunAsOwnerHiding(null, tool, arguments);

    private string RunAsOwnerHiding(string hideLastArgument, string tool, params string[] arguments)
    {
        var path = System.IO.Path.Combine(bin, tool);
        return IsRoot ? Run("runuser", new[] { "-u", "postgres", "--", path }.Concat(arguments).ToArray(), hideLastArgument) : Run(path, arguments, hideLastArgument);
    }

    private string Run(string fileName, string[] arguments, string hideLastArgument = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var shown = hideLastArgument == null ? arguments : arguments[..^1].Append(hideLastArgument);
        System.IO.File.AppendAllText(logFile, $"$ {System.IO.Path.GetFileName(fileName)} {string.Join(" ", shown.Select(a => a.Contains(' ') ? "\"" + a + "\"" : a))}\n# exit code {process.ExitCode}\n{error.Result}");
        if (process.ExitCode != 0)
            throw new SpaceException($"{System.IO.Path.GetFileName(arguments.FirstOrDefault(a => a.StartsWith("/")) ?? fileName)} failed with exit code {process.ExitCode}: {error.Result.Trim()}", logFile);
        return output.Result;
    }

    private static string FindBinaries()
    {
        var candidates = new List<string> { Environment.GetEnvironmentVariable("PG_BIN") };
        if (System.IO.Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(v => int.TryParse(System.IO.Path.GetFileName(v), out var major) ? major : 0)
                .Select(v => System.IO.Path.Combine(v, "bin")));
        candidates.AddRange(new[] { "/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin" });
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && System.IO.File.Exists(System.IO.Path.Combine(c, "initdb")) && System.IO.File.Exists(System.IO.Path.Combine(c, "pg_ctl")));
    }

    public void Dispose()
    {
        try { if (running) Stop("immediate"); }
        catch (SpaceException) { /* already gone; the folder goes anyway */ }
        // The server's own log lives in the temp folder: keep it with the space's logs.
        var serverLog = System.IO.Path.Combine(Folder, "postgres.log");
        try { if (System.IO.File.Exists(serverLog)) System.IO.File.AppendAllText(logFile, "# server log:\n" + System.IO.File.ReadAllText(serverLog)); } catch (IOException) { }
        try { System.IO.Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

// The whole space: PostgreSQL, fake Google, migrations, backend, frontend. Start() in that order; Dispose() stops
// and removes everything, whatever state it is in.
public sealed class LocalSpace : IDisposable
{
    // Fixed identities of the fake (tests/CloudRunSpace.FakeGoogle): the metadata server speaks for the frontend's
    // service account, and its access token is the IAM database user's password.
    public const string FrontendServiceAccount = "frontend@test-project.iam.gserviceaccount.com";
    public const string FakeAccessToken = "ya29.fake-access-token";
    public const string IamDatabaseUser = "backend@test-project.iam";
    public const string ProjectId = "test-project";
    public const string DatabaseName = "app";

    private static readonly List<LocalSpace> Live = new();
    private readonly Action<string> info;
    private readonly string databasePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private bool disposed;

    static LocalSpace()
    {
        // Ctrl+C or SIGTERM of the build: no PostgreSQL or service outlives it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { foreach (var space in Live.ToList()) space.Dispose(); };
    }

    public LocalSpace(SpaceSettings settings, Action<string> info = null)
    {
        Settings = settings;
        this.info = info ?? (_ => { });
        BackendPort = FreePort();
        FrontendPort = FreePort();
        lock (Live) Live.Add(this);
    }

    // How often a service's first start may find its port taken before the space gives up.
    private const int PortAttempts = 3;

    public SpaceSettings Settings { get; }
    public LocalPostgres Postgres { get; private set; }
    public SpaceProcess FakeGoogle { get; private set; }
    public SpaceProcess Backend { get; private set; }
    public SpaceProcess Frontend { get; private set; }
    public int BackendPort { get; private set; }
    public int FrontendPort { get; private set; }
    public string BackendUrl => $"http://127.0.0.1:{BackendPort}";
    public string FrontendUrl => $"http://127.0.0.1:{FrontendPort}";
    public string FakeGoogleUrl { get; private set; } = "";
    public string BackendAudience => BackendUrl; // the frontend's default: its Backend__BaseUrl
    public string MigrateLogFile => LogPath("migrate");

    // The connection string the backend gets: in IAM mode without a password (the token is the password).
    public string ConnectionString => Settings.IamDatabaseAuth
        ? $"Host=127.0.0.1;Port={Postgres.Port};Username={IamDatabaseUser};Database={DatabaseName}"
        : $"Host=127.0.0.1;Port={Postgres.Port};Username=app;Password={databasePassword};Database={DatabaseName}";

    public string LogPath(string part) => System.IO.Path.Combine(Settings.LogDirectory, $"{Settings.LogPrefix}-{part}.log");

    public void Start()
    {
        var watch = Stopwatch.StartNew();
        StartPostgres();
        StartFakeGoogle();
        Migrate();
        StartBackend();
        StartFrontend();
        info($"{Settings.Name}: space up in {watch.Elapsed.TotalSeconds:0.0} s — frontend {FrontendUrl}, backend {BackendUrl}, fake Google {FakeGoogleUrl}, PostgreSQL 127.0.0.1:{Postgres.Port}");
    }

    public void StartPostgres()
    {
        var log = LogPath("postgres");
        System.IO.Directory.CreateDirectory(Settings.LogDirectory);
        System.IO.File.WriteAllText(log, "");
        Postgres = new LocalPostgres(log);
        Postgres.Initialize();
        // The database belongs to the role the backend signs in as, so `migrate` can create the tables.
        var role = Settings.IamDatabaseAuth ? IamDatabaseUser : "app";
        var password = Settings.IamDatabaseAuth ? FakeAccessToken : databasePassword;
        Postgres.Sql($"CREATE ROLE {LocalPostgres.QuoteIdentifier(role)} LOGIN PASSWORD {LocalPostgres.QuoteLiteral(password)}", secret: true);
        Postgres.Sql($"CREATE DATABASE {DatabaseName} OWNER {LocalPostgres.QuoteIdentifier(role)}");
    }

    public void StartFakeGoogle()
    {
        FakeGoogle = new SpaceProcess("fake-google", "dotnet", new[] { Settings.FakeGoogleDll, "--port", "0" },
            QuietEnvironment(), System.IO.Path.GetDirectoryName(Settings.FakeGoogleDll)!, LogPath("fake-google"));
        if (!FakeGoogle.WaitForLine(l => l.StartsWith("listening on "), TimeSpan.FromSeconds(30)))
            throw new SpaceException("the fake Google server did not print 'listening on …' within 30 s", FakeGoogle.LogFile);
        FakeGoogleUrl = FakeGoogle.StdoutLines.First(l => l.StartsWith("listening on ")).Substring("listening on ".Length).Trim().TrimEnd('/');
    }

    // The backend's `migrate` entry, as the Cloud Run migration job runs it; throws unless it exits 0.
    public void Migrate()
    {
        var (file, arguments) = Launch(Settings.BackendDll, "migrate");
        using var migrate = new SpaceProcess("migrate", file, arguments,
            BackendEnvironment("migrate"), System.IO.Path.GetDirectoryName(Settings.BackendDll)!, MigrateLogFile);
        if (!migrate.WaitForExit(TimeSpan.FromSeconds(60))) throw new SpaceException("migrate did not finish within 60 s", migrate.LogFile);
        if (migrate.ExitCode != 0) throw new SpaceException($"migrate exited {migrate.ExitCode}", migrate.LogFile);
    }

    public void StartBackend()
    {
        Backend = StartOnFreePort(() => StartService("backend", Settings.BackendDll, BackendPort, BackendEnvironment("backend")),
            () => BackendPort = FreePort());
    }

    public void StartFrontend()
    {
        Frontend = StartOnFreePort(() => StartService("frontend", Settings.FrontendDll, FrontendPort, FrontendEnvironment()),
            () => FrontendPort = FreePort());
    }

    // A port is chosen seconds before the service binds it (PostgreSQL and migrate start in between), and any
    // other process on the machine may take it meanwhile; then the service cannot listen and exits. That says
    // nothing about the space, so its first start tries again on another port. A restart keeps its port: the
    // other service already points at it.
    private SpaceProcess StartOnFreePort(Func<SpaceProcess> start, Func<int> choosePort)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return start(); }
            catch (PortTakenException taken) when (attempt < PortAttempts)
            {
                info($"{Settings.Name}: {taken.Message}; starting it again on port {choosePort()}");
            }
        }
    }

    // Stops the backend with SIGTERM and starts it again on the same port (its log gets a -restart-N suffix).
    public StopResult RestartBackend()
    {
        var stop = Backend.Stop();
        Backend.Dispose();
        Backend = StartService("backend", Settings.BackendDll, BackendPort, BackendEnvironment("backend"), restart: true);
        return stop;
    }

    public StopResult RestartFrontend()
    {
        var stop = Frontend.Stop();
        Frontend.Dispose();
        Frontend = StartService("frontend", Settings.FrontendDll, FrontendPort, FrontendEnvironment(), restart: true);
        return stop;
    }

    private int restarts;

    private SpaceProcess StartService(string role, string dll, int port, Dictionary<string, string> environment, bool restart = false)
    {
        var log = restart ? LogPath($"{role}-restart-{++restarts}") : LogPath(role);
        var (file, arguments) = Launch(dll);
        var service = new SpaceProcess(role, file, arguments, environment, System.IO.Path.GetDirectoryName(dll)!, log);
        try { WaitReady(service, port); }
        catch { service.Dispose(); throw; }
        return service;
    }

    private void WaitReady(SpaceProcess service, int port)
    {
        var url = $"http://127.0.0.1:{port}/healthz/ready";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        var last = "no answer";
        while (watch.Elapsed < Settings.ReadyTimeout)
        {
            if (service.HasExited)
            {
                var exited = service.ExitedBefore("it was ready");
                if (exited.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                    throw new PortTakenException($"the {service.Name} found port {port} taken (address already in use)", service.LogFile);
                throw new SpaceException($"the {service.Name} {exited}", service.LogFile);
            }
            try
            {
                using var response = http.GetAsync(url).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    info($"{Settings.Name}: {service.Name} ready after {(DateTimeOffset.UtcNow - service.Started).TotalSeconds:0.0} s");
                    return;
                }
                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { last = e.Message; }
            System.Threading.Thread.Sleep(250);
        }
        throw new SpaceException($"the {service.Name} was not ready within {Settings.ReadyTimeout.TotalSeconds:0} s ({url}: {last})", service.LogFile);
    }

    // A service is a .dll run by `dotnet`, or a published Native AOT executable that runs by itself.
    public static (string File, string[] Arguments) Launch(string entry, params string[] arguments) =>
        entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? ("dotnet", new[] { entry }.Concat(arguments).ToArray())
            : (entry, arguments);

    private Dictionary<string, string> QuietEnvironment() => new()
    {
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_CLI_UI_LANGUAGE"] = "en",
    };

    private Dictionary<string, string> ServiceEnvironment(string role, int port)
    {
        var environment = QuietEnvironment();
        environment["PORT"] = port.ToString();
        environment["K_SERVICE"] = $"{Settings.Name.ToLowerInvariant().Replace('.', '-')}-{role}";
        environment["K_REVISION"] = $"{environment["K_SERVICE"]}-00001-smk";
        environment["GOOGLE_CLOUD_PROJECT"] = ProjectId;
        environment["GCE_METADATA_HOST"] = new Uri(FakeGoogleUrl).Authority;
        return environment;
    }

    public Dictionary<string, string> FrontendEnvironment()
    {
        var environment = ServiceEnvironment("frontend", FrontendPort);
        environment["Backend__BaseUrl"] = BackendUrl;
        // On Cloud Run the frontend needs its shared key ring: a folder and the certificate that encrypts it.
        environment["DataProtection__KeysPath"] = KeyRingFolder.Value;
        environment["DataProtection__CertificatePath"] = System.IO.Path.Combine(KeyRingFolder.Value, "key-ring.pem");
        return WithExtraEnvironment(environment);
    }

    // The frontend's key ring folder (in the space's log folder) with a certificate made for this space.
    private Lazy<string> KeyRingFolder => keyRingFolder ??= new Lazy<string>(() =>
    {
        var folder = System.IO.Path.Combine(Settings.LogDirectory, $"{Settings.LogPrefix}-key-ring");
        System.IO.Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=frontend key ring", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        System.IO.File.WriteAllText(System.IO.Path.Combine(folder, "key-ring.pem"), certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        return folder;
    });
    private Lazy<string> keyRingFolder;

    // The caller's settings come last, so they can also change the space's own (e.g. a fault test's).
    private Dictionary<string, string> WithExtraEnvironment(Dictionary<string, string> environment)
    {
        foreach (var pair in Settings.ExtraEnvironment) environment[pair.Key] = pair.Value;
        return environment;
    }

    public Dictionary<string, string> BackendEnvironment(string role)
    {
        var environment = ServiceEnvironment(role, BackendPort);
        if (role == "migrate") environment.Remove("PORT"); // a Cloud Run job has no port
        environment["ConnectionStrings__Database"] = ConnectionString;
        environment["Auth__Audience"] = BackendAudience;
        environment["Auth__AllowedCallers"] = FrontendServiceAccount;
        environment["Auth__CertificatesUrl"] = FakeGoogleUrl + "/oauth2/v3/certs";
        return WithExtraEnvironment(environment);
    }

    // Ports this build has handed out: the kernel may offer a port again once its probe is closed, and two parts
    // of one space (or two spaces) must never be told the same one.
    private static readonly HashSet<int> HandedOut = new();

    // A port free on every address, not just loopback: the services listen on http://+:PORT (all interfaces),
    // which a socket on the same port on any other address blocks. TcpListener.Create binds the same way
    // Kestrel does: IPv6 any in dual mode, or IPv4 any where the machine has no IPv6.
    public static int FreePort()
    {
        while (true)
        {
            var listener = TcpListener.Create(0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (HandedOut) if (HandedOut.Add(port)) return port;
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var process in new[] { Frontend, Backend, FakeGoogle })
            try { process?.Dispose(); } catch (Exception e) { info($"stopping {process?.Name}: {e.Message}"); }
        Postgres?.Dispose();
        lock (Live) Live.Remove(this);
    }
}

// Builds tests/CloudRunSpace.FakeGoogle (incremental: fast when nothing changed) and returns its dll.
FilePath BuildFakeGoogle(BuildPaths paths, ValidationReport report)
{
    var project = paths.Root.CombineWithFilePath("tests/CloudRunSpace.FakeGoogle/CloudRunSpace.FakeGoogle.csproj");
    var output = paths.Artifacts.Combine("fake-google");
    var run = RunDotNet(new[] { "build", project.FullPath, "-c", "Release", "-o", output.FullPath }, paths.Log(RepositoryStages, "fake-google-build"));
    var dll = output.CombineWithFilePath("CloudRunSpace.FakeGoogle.dll");
    Require(Record(report, RepositoryStages, "fake-google-build", run,
        ExitCodeProblem(run) ?? (FileExists(dll) ? null : $"the build wrote no {dll.GetFilename()}")), "building the fake Google server");
    return dll;
}

// The settings of a variant built by the Build target (artifacts/validation/<variant>/).
SpaceSettings SpaceSettingsForVariant(BuildPaths paths, Variant variant, FilePath fakeGoogleDll, string purpose,
    IDictionary<string, string> extraEnvironment = null) =>
    SpaceSettings.ForBuiltSpace(
        paths.VariantDirectory(variant).FullPath, variant.Name,
        iamDatabaseAuth: variant.Options.TryGetValue("db-auth", out var auth) && auth == "iam",
        configuration: VariantConfiguration,
        fakeGoogleDll: fakeGoogleDll.FullPath,
        logDirectory: paths.Logs.FullPath,
        logPrefix: $"{variant.Name}-{purpose}",
        extraEnvironment: extraEnvironment);
