using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CloudRunSpace_1.Tests.EndToEnd;

/// <summary>
/// The whole space started through its AppHost, as <c>dotnet run --project src/…AppHost</c> starts it: PostgreSQL,
/// the local Google, the migration job, the backend and two frontend instances behind their local Cloud Run front
/// ends. One per test class; every resource is healthy before the first test.
/// </summary>
public sealed class SpaceApp : IAsyncLifetime
{
    /// <summary>The public front end of the frontend instances.</summary>
    public const string FrontendFrontEnd = "frontend-front-end";

    /// <summary>The private front end of the backend (invoker check).</summary>
    public const string BackendFrontEnd = "backend-front-end";

    /// <summary>The frontend instances.</summary>
    public static readonly string[] FrontendInstances = ["frontend-1", "frontend-2"];

    private const string UnknownState = "Unknown";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _keys = Directory.CreateTempSubdirectory("space-keys-").FullName;
    private DistributedApplication? _app;

    /// <summary>The running application.</summary>
    public DistributedApplication App => _app ?? throw new InvalidOperationException("The space is not started.");

    /// <summary>A resource endpoint's URL.</summary>
    public Uri Url(string resource) => App.GetEndpoint(resource, "http");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CloudRunSpace_1_AppHost>(
            ["Space:Port=0", $"Space:KeysPath={_keys}"], timeout.Token);
        _app = await builder.BuildAsync(timeout.Token);
        var waitingFor = "the AppHost to start";
        try
        {
            await _app.StartAsync(timeout.Token);
            foreach (var resource in FrontendInstances.Append(FrontendFrontEnd).Append(BackendFrontEnd).Append("backend"))
            {
                waitingFor = resource;
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The space was not up within {StartTimeout.TotalSeconds:0} s: waiting for {waitingFor}. {await DescribeAsync()}");
        }
    }

    // Each resource's state and the end of its console output: what a failed start needs to be understood.
    private async Task<string> DescribeAsync()
    {
        var report = new System.Text.StringBuilder();
        foreach (var resource in App.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            var state = App.ResourceNotifications.TryGetCurrentState(resource.Name, out var current) ? current.Snapshot.State?.Text : "unknown";
            var lines = await LogLinesAsync(resource.Name, CancellationToken.None);
            report.Append($"\n- {resource.Name}: {state}; last lines:\n    {string.Join("\n    ", lines.TakeLast(8))}");
        }

        return report.ToString();
    }

    /// <summary>Restarts a resource (a new process) and waits until it is healthy again.</summary>
    public async Task RestartAsync(string resource, CancellationToken cancellationToken)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        // Stop, then start. The orchestrator's stop command may give up watching a process that is still shutting
        // down and say it failed; what counts is that the process ends, so that is what is waited for. The
        // orchestrator may also lose sight of a stopped project and report its state as "Unknown"
        // (microsoft/aspire#11046); a start from there can be undone at once, so the start is tried again.
        await commands.ExecuteCommandAsync(resource, "resource-stop", cancellationToken);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stopping.CancelAfter(TimeSpan.FromMinutes(1));
        var stopped = await App.ResourceNotifications.WaitForResourceAsync(resource,
            e => e.Snapshot.State?.Text is { } text && IsStopped(text), stopping.Token);
        var lastStart = stopped.Snapshot.StartTimeStamp;

        for (var attempt = 1; ; attempt++)
        {
            var started = await commands.ExecuteCommandAsync(resource, "resource-start", cancellationToken);
            Assert.True(started.Success, $"starting {resource} again: {started.Message}");
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            starting.CancelAfter(TimeSpan.FromMinutes(1));
            var state = await App.ResourceNotifications.WaitForResourceAsync(resource,
                e => IsHealthy(e.Snapshot) || (e.Snapshot.StartTimeStamp != lastStart && e.Snapshot.State?.Text is { } text && IsStopped(text)),
                starting.Token);
            lastStart = state.Snapshot.StartTimeStamp;
            if (IsHealthy(state.Snapshot))
            {
                TestContext.Current.TestOutputHelper?.WriteLine(
                    $"{resource}: stopped as {stopped.Snapshot.State?.Text}, healthy again after {attempt} start(s)");
                return;
            }

            Assert.True(attempt < 3, $"{resource} did not start again in {attempt} attempts: it is {state.Snapshot.State?.Text}");
        }
    }

    private static bool IsStopped(string state) => KnownResourceStates.TerminalStates.Contains(state) || state == UnknownState;

    private static bool IsHealthy(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;

    /// <summary>What a resource has written to its console so far, line by line.</summary>
    public async Task<IReadOnlyList<string>> LogLinesAsync(string resource, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        // Logs are kept per running instance (its resource id), not per resource name.
        var id = App.ResourceNotifications.TryGetCurrentState(resource, out var current) ? current.ResourceId : resource;
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quiet.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await foreach (var batch in logs.WatchAsync(id).WithCancellation(quiet.Token))
            {
                // Each line comes as "<UTC timestamp> <what the process wrote>".
                lines.AddRange(batch.Select(line => line.Content.Split(' ', 2) is [var stamp, var text] && DateTime.TryParse(stamp, System.Globalization.CultureInfo.InvariantCulture, out _) ? text : line.Content));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // WatchAsync replays what was logged, then waits for more: five seconds end the read.
        }

        return lines;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        Directory.Delete(_keys, recursive: true);
    }
}
