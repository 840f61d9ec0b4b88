using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CloudRunSpace.Validation.Postgres;
using CloudRunSpace.Validation.Processes;

namespace CloudRunSpace.Validation.Spaces;

/// <summary>
/// A generated space as real processes, the way Cloud Run runs it: a throwaway PostgreSQL, the fake Google metadata
/// server and token issuer (tests/CloudRunSpace.FakeGoogle), the backend's <c>migrate</c> entry, then the backend and
/// the frontend with PORT and K_SERVICE set. <see cref="Start"/> in that order; <see cref="Dispose"/> stops and
/// removes everything, whatever state it is in. Logs: LogDirectory/LogPrefix-{postgres,fake-google,migrate,backend,frontend}.log.
/// Secrets (the database password) go to the processes' environment only, never to a log.
/// </summary>
public sealed class LocalSpace : IDisposable
{
    /// <summary>The frontend's service account, the one the fake metadata server speaks for.</summary>
    public const string FrontendServiceAccount = "frontend@test-project.iam.gserviceaccount.com";

    /// <summary>The fake's access token: the IAM database user's password.</summary>
    public const string FakeAccessToken = "ya29.fake-access-token";

    /// <summary>The IAM database user (--db-auth iam).</summary>
    public const string IamDatabaseUser = "backend@test-project.iam";

    /// <summary>The project id the services are told.</summary>
    public const string ProjectId = "test-project";

    /// <summary>The space's database.</summary>
    public const string DatabaseName = "app";

    // How often a service's first start may find its port taken before the space gives up.
    private const int PortAttempts = 3;

    private static readonly List<LocalSpace> Live = [];
    private readonly Action<string> _info;
    private readonly string _databasePassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly Lazy<string> _keyRingFolder;
    private int _restarts;
    private bool _disposed;

    static LocalSpace()
    {
        // Ctrl+C or SIGTERM of the build: no PostgreSQL or service outlives it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            List<LocalSpace> live;
            lock (Live)
            {
                live = [.. Live];
            }

            foreach (var space in live)
            {
                space.Dispose();
            }
        };
    }

    /// <summary>A space to start; nothing runs yet.</summary>
    /// <param name="settings">Where its services are.</param>
    /// <param name="info">Progress lines.</param>
    public LocalSpace(SpaceSettings settings, Action<string>? info = null)
    {
        Settings = settings;
        _info = info ?? (_ => { });
        BackendPort = FreePorts.Next();
        FrontendPort = FreePorts.Next();
        _keyRingFolder = new Lazy<string>(CreateKeyRing);
        lock (Live)
        {
            Live.Add(this);
        }
    }

    /// <summary>Where its services are.</summary>
    public SpaceSettings Settings { get; }

    /// <summary>Its PostgreSQL, once started.</summary>
    public ThrowawayPostgres Postgres { get; private set; } = null!;

    /// <summary>The fake Google server, once started.</summary>
    public ServiceProcess FakeGoogle { get; private set; } = null!;

    /// <summary>The backend, once started.</summary>
    public ServiceProcess Backend { get; private set; } = null!;

    /// <summary>The frontend, once started.</summary>
    public ServiceProcess Frontend { get; private set; } = null!;

    /// <summary>The backend's port.</summary>
    public int BackendPort { get; private set; }

    /// <summary>The frontend's port.</summary>
    public int FrontendPort { get; private set; }

    /// <summary>The backend's URL.</summary>
    public string BackendUrl => $"http://127.0.0.1:{BackendPort}";

    /// <summary>The frontend's URL.</summary>
    public string FrontendUrl => $"http://127.0.0.1:{FrontendPort}";

    /// <summary>The fake Google server's URL, once started.</summary>
    public string FakeGoogleUrl { get; private set; } = "";

    /// <summary>The audience of the backend's ID tokens: the frontend's default, its Backend__BaseUrl.</summary>
    public string BackendAudience => BackendUrl;

    /// <summary>The log of the migrate run.</summary>
    public string MigrateLogFile => LogPath("migrate");

    /// <summary>The connection string the backend gets: in IAM mode without a password (the token is the password).</summary>
    public string ConnectionString => Settings.IamDatabaseAuth
        ? $"Host=127.0.0.1;Port={Postgres.Port};Username={IamDatabaseUser};Database={DatabaseName}"
        : $"Host=127.0.0.1;Port={Postgres.Port};Username=app;Password={_databasePassword};Database={DatabaseName}";

    /// <summary>A service is a .dll run by <c>dotnet</c>, or a published Native AOT executable that runs by itself.</summary>
    /// <param name="entry">The .dll or executable.</param>
    /// <param name="arguments">Its arguments.</param>
    public static (string File, string[] Arguments) Launch(string entry, params string[] arguments) =>
        entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", [entry, .. arguments]) : (entry, arguments);

    /// <summary>The log file of one part, e.g. "backend".</summary>
    /// <param name="part">The part.</param>
    public string LogPath(string part) => Path.Combine(Settings.LogDirectory, $"{Settings.LogPrefix}-{part}.log");

    /// <summary>Starts PostgreSQL, the fake Google server, migrate, the backend and the frontend.</summary>
    /// <exception cref="LoggedFailureException">A step failed; the log file says how.</exception>
    public void Start()
    {
        var watch = Stopwatch.StartNew();
        StartPostgres();
        StartFakeGoogle();
        Migrate();
        StartBackend();
        StartFrontend();
        _info($"{Settings.Name}: space up in {watch.Elapsed.TotalSeconds:0.0} s — frontend {FrontendUrl}, backend {BackendUrl}, fake Google {FakeGoogleUrl}, PostgreSQL 127.0.0.1:{Postgres.Port}");
    }

    /// <summary>A throwaway PostgreSQL with the database owned by the role the backend signs in as.</summary>
    public void StartPostgres()
    {
        var log = LogPath("postgres");
        Directory.CreateDirectory(Settings.LogDirectory);
        File.WriteAllText(log, "");
        Postgres = new ThrowawayPostgres(log);
        Postgres.Initialize();
        var role = Settings.IamDatabaseAuth ? IamDatabaseUser : "app";
        var password = Settings.IamDatabaseAuth ? FakeAccessToken : _databasePassword;
        Postgres.Sql($"CREATE ROLE {ThrowawayPostgres.QuoteIdentifier(role)} LOGIN PASSWORD {ThrowawayPostgres.QuoteLiteral(password)}", secret: true);
        Postgres.Sql($"CREATE DATABASE {DatabaseName} OWNER {ThrowawayPostgres.QuoteIdentifier(role)}");
    }

    /// <summary>Starts the fake Google server on a port of its choice.</summary>
    public void StartFakeGoogle()
    {
        FakeGoogle = new ServiceProcess("fake-google", "dotnet", [Settings.FakeGoogleDll, "--port", "0"],
            QuietEnvironment(), Path.GetDirectoryName(Settings.FakeGoogleDll)!, LogPath("fake-google"));
        if (!FakeGoogle.WaitForLine(l => l.StartsWith("listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30)))
        {
            throw new LoggedFailureException("the fake Google server did not print 'listening on …' within 30 s", FakeGoogle.LogFile);
        }

        FakeGoogleUrl = FakeGoogle.StdoutLines.First(l => l.StartsWith("listening on ", StringComparison.Ordinal))["listening on ".Length..].Trim().TrimEnd('/');
    }

    /// <summary>The backend's <c>migrate</c> entry, as the Cloud Run migration job runs it; throws unless it exits 0.</summary>
    public void Migrate()
    {
        var (file, arguments) = Launch(Settings.BackendDll, "migrate");
        using var migrate = new ServiceProcess("migrate", file, arguments,
            BackendEnvironment("migrate"), Path.GetDirectoryName(Settings.BackendDll)!, MigrateLogFile);
        if (!migrate.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            throw new LoggedFailureException("migrate did not finish within 60 s", migrate.LogFile);
        }

        if (migrate.ExitCode != 0)
        {
            throw new LoggedFailureException($"migrate exited {migrate.ExitCode}", migrate.LogFile);
        }
    }

    /// <summary>Starts the backend and waits until it is ready.</summary>
    public void StartBackend() =>
        Backend = StartOnFreePort(() => StartService("backend", Settings.BackendDll, BackendPort, BackendEnvironment("backend")),
            () => BackendPort = FreePorts.Next());

    /// <summary>Starts the frontend and waits until it is ready.</summary>
    public void StartFrontend() =>
        Frontend = StartOnFreePort(() => StartService("frontend", Settings.FrontendDll, FrontendPort, FrontendEnvironment()),
            () => FrontendPort = FreePorts.Next());

    /// <summary>Stops the backend with SIGTERM and starts it again on the same port (its log gets a -restart-N suffix).</summary>
    public StopResult RestartBackend()
    {
        var stop = Backend.Stop();
        Backend.Dispose();
        Backend = StartService("backend", Settings.BackendDll, BackendPort, BackendEnvironment("backend"), restart: true);
        return stop;
    }

    /// <summary>Stops the frontend with SIGTERM and starts it again on the same port.</summary>
    public StopResult RestartFrontend()
    {
        var stop = Frontend.Stop();
        Frontend.Dispose();
        Frontend = StartService("frontend", Settings.FrontendDll, FrontendPort, FrontendEnvironment(), restart: true);
        return stop;
    }

    /// <summary>The frontend's settings, as Cloud Run and the deploy scripts give them.</summary>
    public Dictionary<string, string> FrontendEnvironment()
    {
        var environment = ServiceEnvironment("frontend", FrontendPort);
        environment["Backend__BaseUrl"] = BackendUrl;
        // On Cloud Run the frontend needs its shared key ring: a folder and the certificate that encrypts it.
        environment["DataProtection__KeysPath"] = _keyRingFolder.Value;
        environment["DataProtection__CertificatePath"] = Path.Combine(_keyRingFolder.Value, "key-ring.pem");
        return WithExtraEnvironment(environment);
    }

    /// <summary>The backend's (or its migrate job's) settings.</summary>
    /// <param name="role">"backend" or "migrate" (a Cloud Run job has no port).</param>
    public Dictionary<string, string> BackendEnvironment(string role)
    {
        var environment = ServiceEnvironment(role, BackendPort);
        if (role == "migrate")
        {
            environment.Remove("PORT");
        }

        environment["ConnectionStrings__Database"] = ConnectionString;
        environment["Auth__Audience"] = BackendAudience;
        environment["Auth__AllowedCallers"] = FrontendServiceAccount;
        environment["Auth__CertificatesUrl"] = FakeGoogleUrl + "/oauth2/v3/certs";
        return WithExtraEnvironment(environment);
    }

    /// <summary>Stops whatever still runs (processes, PostgreSQL) and removes the temp folder.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var process in new ServiceProcess?[] { Frontend, Backend, FakeGoogle })
        {
            try
            {
                process?.Dispose();
            }
            catch (Exception e)
            {
                _info($"stopping {process?.Name}: {e.Message}");
            }
        }

        Postgres?.Dispose();
        lock (Live)
        {
            Live.Remove(this);
        }
    }

    private static Dictionary<string, string> QuietEnvironment() =>
        DotnetEnvironment.Quiet.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!);

    // A port is chosen seconds before the service binds it (PostgreSQL and migrate start in between), and any other
    // process may take it meanwhile; then the service cannot listen and exits. That says nothing about the space, so
    // its first start tries again on another port. A restart keeps its port: the other service points at it.
    private ServiceProcess StartOnFreePort(Func<ServiceProcess> start, Func<int> choosePort)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return start();
            }
            catch (PortTakenException taken) when (attempt < PortAttempts)
            {
                _info($"{Settings.Name}: {taken.Message}; starting it again on port {choosePort()}");
            }
        }
    }

    private ServiceProcess StartService(string role, string dll, int port, Dictionary<string, string> environment, bool restart = false)
    {
        var log = restart ? LogPath($"{role}-restart-{++_restarts}") : LogPath(role);
        var (file, arguments) = Launch(dll);
        var service = new ServiceProcess(role, file, arguments, environment, Path.GetDirectoryName(dll)!, log);
        try
        {
            WaitReady(service, port);
        }
        catch
        {
            service.Dispose();
            throw;
        }

        return service;
    }

    private void WaitReady(ServiceProcess service, int port)
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
                {
                    throw new PortTakenException($"the {service.Name} found port {port} taken (address already in use)", service.LogFile);
                }

                throw new LoggedFailureException($"the {service.Name} {exited}", service.LogFile);
            }

            try
            {
                using var response = http.GetAsync(url).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _info($"{Settings.Name}: {service.Name} ready after {(DateTimeOffset.UtcNow - service.Started).TotalSeconds:0.0} s");
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            Thread.Sleep(250);
        }

        throw new LoggedFailureException($"the {service.Name} was not ready within {Settings.ReadyTimeout.TotalSeconds:0} s ({url}: {last})", service.LogFile);
    }

    private Dictionary<string, string> ServiceEnvironment(string role, int port)
    {
        var environment = QuietEnvironment();
        environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        environment["K_SERVICE"] = $"{Settings.Name.ToLowerInvariant().Replace('.', '-')}-{role}";
        environment["K_REVISION"] = $"{environment["K_SERVICE"]}-00001-smk";
        environment["GOOGLE_CLOUD_PROJECT"] = ProjectId;
        environment["GCE_METADATA_HOST"] = new Uri(FakeGoogleUrl).Authority;
        return environment;
    }

    // The caller's settings come last, so they can also change the space's own (e.g. a fault test's).
    private Dictionary<string, string> WithExtraEnvironment(Dictionary<string, string> environment)
    {
        foreach (var (key, value) in Settings.ExtraEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    // The frontend's key ring folder (in the space's log folder) with a certificate made for this space.
    private string CreateKeyRing()
    {
        var folder = Path.Combine(Settings.LogDirectory, $"{Settings.LogPrefix}-key-ring");
        Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=frontend key ring", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(Path.Combine(folder, "key-ring.pem"), certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        return folder;
    }
}
