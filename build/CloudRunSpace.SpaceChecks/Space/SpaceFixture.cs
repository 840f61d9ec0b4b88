using System.Diagnostics;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace CloudRunSpace.SpaceChecks.Space;

/// <summary>
/// One built variant's whole space, started through its own AppHost the way <c>dotnet run --project src/…AppHost</c>
/// starts it: PostgreSQL, the local Google, the migration job, the backend behind its private front end and two
/// frontend instances behind the public one. One per test class; every service is healthy before the first test.
/// Modelled on the generated tests' EndToEnd/SpaceApp.cs (restart, the "Unknown" state of microsoft/aspire#11046).
/// </summary>
public class SpaceFixture : IAsyncLifetime
{
    /// <summary>The public front end of the frontend instances.</summary>
    public const string FrontendFrontEnd = "frontend-front-end";

    /// <summary>The private front end of the backend (the invoker check).</summary>
    public const string BackendFrontEnd = "backend-front-end";

    /// <summary>The local Google: metadata server and ID-token issuer.</summary>
    public const string Google = "google";

    /// <summary>The throwaway PostgreSQL server.</summary>
    public const string Postgres = "postgres";

    /// <summary>The backend service.</summary>
    public const string Backend = "backend";

    /// <summary>The migration job.</summary>
    public const string Migrate = "migrate";

    /// <summary>The frontend instances.</summary>
    public static readonly string[] FrontendInstances = ["frontend-1", "frontend-2"];

    /// <summary>The account the local metadata server speaks for: the backend's one allowed caller.</summary>
    public const string FrontendServiceAccount = "frontend@test-project.iam.gserviceaccount.com";

    /// <summary>A valid Google account that is not allowed to call the backend.</summary>
    public const string StrangerServiceAccount = "stranger@test-project.iam.gserviceaccount.com";

    /// <summary>The record the migration job seeds.</summary>
    public const string SeedRecordTitle = "Welcome to your Cloud Run private space";

    private const string UnknownState = "Unknown";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);
    private string? _keys;
    private DistributedApplication? _app;

    /// <summary>The variant's folder.</summary>
    public string SpaceDirectory { get; private set; } = "";

    /// <summary>The variant's name (its AppHost's without ".AppHost").</summary>
    public string VariantName { get; private set; } = "";

    /// <summary>How long the space took from CreateAsync to every service healthy.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>The running application.</summary>
    public DistributedApplication App => _app ?? throw new InvalidOperationException("The space is not started.");

    /// <summary>What the AppHost itself logged (DCP, health checks, orchestration).</summary>
    public CapturedLog AppHostLog { get; } = new();

    /// <summary>The AppHost's resource notifications.</summary>
    public ResourceNotificationService ResourceNotifications => App.ResourceNotifications;

    /// <summary>Every resource of the space's model.</summary>
    public IReadOnlyList<string> ResourceNames() =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Select(r => r.Name).ToList();

    /// <summary>A resource's http endpoint.</summary>
    public Uri Url(string resource) => App.GetEndpoint(resource, "http");

    /// <inheritdoc />
    public virtual async ValueTask InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // A space that did not come up is stopped here: nothing of it (PostgreSQL, services) outlives the run.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        var watch = Stopwatch.StartNew();
        SpaceDirectory = CheckSettings.SpaceDirectory;
        var entryPoint = AppHostAssembly.EntryPoint(SpaceDirectory);
        VariantName = AppHostAssembly.Name(entryPoint).Replace(".AppHost", "", StringComparison.Ordinal);
        using var timeout = new CancellationTokenSource(StartTimeout);
        // The frontend instances' shared key ring, as on Cloud Run (a folder they all mount).
        _keys = Directory.CreateTempSubdirectory("space-checks-keys-").FullName;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync(
            entryPoint, ["Space:Port=0", $"Space:KeysPath={_keys}"], timeout.Token);
        builder.Services.AddLogging(logging => logging.AddProvider(AppHostLog));
        // The AppHost's launch profile names the dashboard's OTLP endpoint, and the services export traces there; the
        // testing builder runs no dashboard, so each service would wait for its exporter's time-out at SIGTERM (measured:
        // 10-15 s instead of 0.1 s). On Cloud Run a service exports only where an endpoint is configured: none here.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                foreach (var name in context.EnvironmentVariables.Keys.Where(k => k.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.Ordinal)).ToList())
                {
                    context.EnvironmentVariables.Remove(name);
                }
            }));
        }

        _app = await builder.BuildAsync(timeout.Token);
        var waitingFor = "the AppHost to start";
        try
        {
            await _app.StartAsync(timeout.Token);
            foreach (var resource in FrontendInstances.Append(FrontendFrontEnd).Append(BackendFrontEnd).Append(Backend))
            {
                waitingFor = resource;
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The space {VariantName} was not up within {StartTimeout.TotalSeconds:0} s: waiting for {waitingFor}. {await DescribeAsync()}");
        }

        StartTime = watch.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"{VariantName}: space up in {StartTime.TotalSeconds:0.0} s");
    }

    /// <summary>The current snapshot of a resource.</summary>
    public CustomResourceSnapshot Snapshot(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var current)
            ? current.Snapshot
            : throw new InvalidOperationException($"No resource named {resource}.");

    /// <summary>The process id DCP started for a resource (its snapshot's executable.pid).</summary>
    public int Pid(string resource)
    {
        var value = Snapshot(resource).Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
        return value is not null && int.TryParse(value.ToString(), out var pid)
            ? pid
            : throw new InvalidOperationException($"{resource} has no executable.pid: {string.Join(", ", Snapshot(resource).Properties.Select(p => p.Name))}");
    }

    /// <summary>
    /// The service's own process: DCP starts a project as <c>dotnet run --project … --no-build</c>, whose child is
    /// the service (what Cloud Run would signal or kill); an executable (PostgreSQL) is the process itself.
    /// </summary>
    public int ServicePid(string resource)
    {
        var pid = Pid(resource);
        return ProcessTree.Descendants(pid).FirstOrDefault(child => !ProcessTree.CommandLine(child).StartsWith("dotnet run ", StringComparison.Ordinal)) is var service and > 0
            ? service
            : pid;
    }

    /// <summary>
    /// Each named resource's state and the end of its console output (all resources when none is named): what a
    /// failed check needs to be understood.
    /// </summary>
    public async Task<string> DescribeAsync(params string[] resources)
    {
        var report = new StringBuilder();
        var names = resources.Length > 0
            ? resources
            : App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Select(r => r.Name).ToArray();
        foreach (var name in names)
        {
            var state = App.ResourceNotifications.TryGetCurrentState(name, out var current)
                ? $"{current.Snapshot.State?.Text} (health {current.Snapshot.HealthStatus?.ToString() ?? "none"}, exit code {current.Snapshot.ExitCode?.ToString() ?? "none"})"
                : "unknown";
            var lines = await LogLinesAsync(name);
            report.Append($"\n- {name}: {state}; last lines:\n    {string.Join("\n    ", lines.TakeLast(12).Select(l => Shorten(l.Text)))}");
        }

        return report.ToString();
    }

    /// <summary>Fails the test with <paramref name="message"/> and the named resources' state and last log lines.</summary>
    public async Task FailAsync(string message, params string[] resources) =>
        Assert.Fail(message + Environment.NewLine + "What the resources show:" + await DescribeAsync(resources));

    /// <summary>Fails unless <paramref name="condition"/> holds, with the named resources' logs.</summary>
    public async Task ExpectAsync(bool condition, string message, params string[] resources)
    {
        if (!condition)
        {
            await FailAsync(message, resources);
        }
    }

    /// <summary>A line a resource wrote to its console: stdout or stderr.</summary>
    public sealed record ConsoleLine(string Text, bool IsError);

    // Lines the AppHost and DCP write to a resource's log (waiting for its dependencies, certificate trust, the commands run on it, "[sys]
    // Starting process..."): not the process's output.
    private static readonly string[] OrchestratorLines =
        ["[sys] ", "Waiting for resource ", "Finished waiting for resource ", "No custom certificate authorities to configure for '", "Resource '",
         "Executing command '", "Command '", "Successfully executed command '"];

    /// <summary>
    /// What a resource's process has written to its console so far (every run of it, oldest first), without waiting;
    /// the lines the AppHost adds about the resource (waiting for a dependency, certificate trust) are left out.
    /// </summary>
    public async Task<IReadOnlyList<ConsoleLine>> LogLinesAsync(string resource)
    {
        var lines = new List<ConsoleLine>();
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        var id = App.ResourceNotifications.TryGetCurrentState(resource, out var current) ? current.ResourceId : resource;
        await foreach (var batch in logs.GetAllAsync(id))
        {
            // Each line comes as "<UTC timestamp> <what the process wrote>".
            lines.AddRange(batch.Select(line => new ConsoleLine(
                line.Content.Split(' ', 2) is [var stamp, var text] && DateTime.TryParse(stamp, System.Globalization.CultureInfo.InvariantCulture, out _) ? text : line.Content,
                line.IsErrorMessage)).Where(line => !OrchestratorLines.Any(prefix => line.Text.StartsWith(prefix, StringComparison.Ordinal))));
        }

        return lines;
    }

    /// <summary>Runs a resource command (resource-stop, resource-start) and fails the test when it is refused.</summary>
    public async Task CommandAsync(string resource, string command, CancellationToken cancellationToken)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, command, cancellationToken);
        await ExpectAsync(result.Success, $"{command} of {resource} failed: {result.Message}", resource);
    }

    /// <summary>Waits until a resource has stopped (an exit, or the "Unknown" state of microsoft/aspire#11046).</summary>
    public async Task<CustomResourceSnapshot> WaitStoppedAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            var stopped = await App.ResourceNotifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text is { } text && IsStopped(text), limit.Token);
            return stopped.Snapshot;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await FailAsync($"{resource} did not stop within {timeout.TotalSeconds:0} s", resource);
            throw;
        }
    }

    /// <summary>
    /// Starts a stopped resource again and waits until it is running and healthy, or (<paramref name="healthy"/> false)
    /// just running. A start from the "Unknown" state can be undone at once (microsoft/aspire#11046), so it is tried again.
    /// </summary>
    public async Task StartAgainAsync(string resource, CancellationToken cancellationToken, bool healthy = true)
    {
        var lastStart = Snapshot(resource).StartTimeStamp;
        for (var attempt = 1; ; attempt++)
        {
            await CommandAsync(resource, "resource-start", cancellationToken);
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            starting.CancelAfter(TimeSpan.FromMinutes(1));
            ResourceEvent state;
            try
            {
                state = await App.ResourceNotifications.WaitForResourceAsync(resource,
                    e => IsUp(e.Snapshot, healthy) || (e.Snapshot.StartTimeStamp != lastStart && e.Snapshot.State?.Text is { } text && IsStopped(text)),
                    starting.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await FailAsync($"{resource} was not {(healthy ? "healthy" : "running")} within 60 s of its start", resource);
                throw;
            }

            lastStart = state.Snapshot.StartTimeStamp;
            if (IsUp(state.Snapshot, healthy))
            {
                return;
            }

            await ExpectAsync(attempt < 3, $"{resource} did not start again in {attempt} attempts: it is {state.Snapshot.State?.Text}", resource);
        }
    }

    /// <summary>Stops a resource with the AppHost's stop command, then starts it again and waits until it is healthy.</summary>
    public async Task RestartAsync(string resource, CancellationToken cancellationToken)
    {
        await CommandAsync(resource, "resource-stop", cancellationToken);
        await WaitStoppedAsync(resource, TimeSpan.FromMinutes(1), cancellationToken);
        await StartAgainAsync(resource, cancellationToken);
    }

    /// <summary>Sends a signal to a process (bash's kill builtin: a /bin/kill is not on every slim machine).</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { "-c", "kill -s \"$1\" \"$2\"", "kill", signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Mints a Google-signed ID token for <paramref name="email"/> and <paramref name="audience"/> from the local Google.</summary>
    public async Task<string> MintIdTokenAsync(string email, Uri audience, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Url(Google), Timeout = TimeSpan.FromSeconds(10) };
        var token = await http.GetStringAsync($"/fake/id-token?audience={Uri.EscapeDataString(audience.ToString().TrimEnd('/'))}&email={Uri.EscapeDataString(email)}", cancellationToken);
        return token.Trim();
    }

    /// <summary>The backend's audience: the URL of its front end, as Cloud Run gives a service its URL.</summary>
    public Uri BackendAudience => Url(BackendFrontEnd);

    private static bool IsStopped(string state) => KnownResourceStates.TerminalStates.Contains(state) || state == UnknownState;

    private static bool IsUp(CustomResourceSnapshot snapshot, bool healthy) =>
        snapshot.State?.Text == KnownResourceStates.Running && (!healthy || snapshot.HealthStatus == HealthStatus.Healthy);

    private static string Shorten(string line) => line.Length <= 300 ? line : line[..300] + "…";

    /// <inheritdoc />
    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }

        if (_keys is not null)
        {
            Directory.Delete(_keys, recursive: true);
            _keys = null;
        }

        GC.SuppressFinalize(this);
    }
}
