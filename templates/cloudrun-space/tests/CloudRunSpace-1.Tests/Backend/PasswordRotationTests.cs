using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CloudRunSpace_1.ServiceDefaults;
using CloudRunSpace_1.Tests.Fakes;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// A database password rotation under load, modelled on the real PostgreSQL with the backend in test hosts: a stream of
/// requests goes to the serving "revision" while the password changes and a new revision takes over, as
/// deploy/rotate-db-password.sh does it on Cloud Run. Each host recycles its connections every second
/// (<c>Connection Lifetime</c>), as a revision's instances keep opening new ones while they scale. With two alternating
/// users no request fails; with one user whose password changes under the running revision, requests fail until the
/// new revision serves, which shows the model can see failures at all.
/// </summary>
public sealed class PasswordRotationTests(FakeGoogle google, PostgresServer postgres)
{
    private const int Workers = 8;

    // Cloud Run's time from "new revision asked for" to "it serves": the same in both schemes.
    private static readonly TimeSpan RevisionStart = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Steady = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Rotating_to_the_idle_user_fails_no_request_while_changing_the_one_users_password_does()
    {
        var twoUsers = await RotateUnderLoadAsync(alternateUsers: true);
        var oneUser = await RotateUnderLoadAsync(alternateUsers: false);

        var report = $"two alternating users: {twoUsers}; one user, password changed in place: {oneUser}";
        TestContext.Current.SendDiagnosticMessage("password rotation under load: " + report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(twoUsers.ServedByOld > 0 && twoUsers.ServedByNew > 0, report);
        Assert.True(oneUser.ServedByOld > 0 && oneUser.ServedByNew > 0, report);
        Assert.True(twoUsers.Failed == 0, report);
        Assert.True(oneUser.Failed > 0, "the model shows no failure even without the two-user scheme: " + report);
    }

    private async Task<RotationResult> RotateUnderLoadAsync(bool alternateUsers)
    {
        var database = await CloudSqlLikeDatabase.CreateAsync(postgres);
        var (userA, userB) = (database.BackendUsers[0], database.BackendUsers[1]);
        const string oldPassword = "old-password-for-tests";
        const string newPassword = "new-password-for-tests";
        Assert.Equal(0, await database.MigrateAsync(userA, oldPassword));

        var old = await StartRevisionAsync(database.As(userA, oldPassword, pooling: true));
        var router = new Router(old);
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Workers).Select(worker => Task.Run(() => router.RunAsync(worker, stop.Token))).ToArray();
        Revision? next = null;
        try
        {
            await Task.Delay(Steady, TestContext.Current.CancellationToken);

            // The new password, as the new secret version holds it: on the idle user (the migration job sets it), or on
            // the serving user in place (as `gcloud sql users set-password` would).
            var newUser = alternateUsers ? userB : userA;
            Assert.Equal(0, await database.MigrateAsync(newUser, newPassword));

            // The new revision (the backend updated onto the new secret version) starts, then takes all traffic.
            var starting = Stopwatch.StartNew();
            next = await StartRevisionAsync(database.As(newUser, newPassword, pooling: true));
            var left = RevisionStart - starting.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, TestContext.Current.CancellationToken);
            }

            router.SwitchTo(next);
            // The old revision finishes what it is serving, then stops (its secret version is disabled after).
            await old.DrainAsync();
            await old.DisposeAsync();
            await Task.Delay(Steady, TestContext.Current.CancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
            await old.DisposeAsync();
            if (next is not null)
            {
                await next.DisposeAsync();
            }
        }

        return new RotationResult(router.Served(old), next is null ? 0 : router.Served(next), router.Failed, router.FirstFailures);
    }

    private async Task<Revision> StartRevisionAsync(string connectionString)
    {
        var host = new BackendHost(connectionString + ";Connection Lifetime=1", google);
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Bearer", google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail));
        // Cloud Run's startup probe: the revision serves only once its readiness check (the database) passes.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!(await client.GetAsync(CloudRunDefaultsExtensions.ReadyPath, TestContext.Current.CancellationToken)).IsSuccessStatusCode)
        {
            Assert.True(DateTime.UtcNow < deadline, "the new revision never became ready");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return new Revision(host, client);
    }

    private sealed record RotationResult(int ServedByOld, int ServedByNew, int Failed, IReadOnlyList<string> FirstFailures)
    {
        public override string ToString() =>
            $"{ServedByOld + ServedByNew} requests ({ServedByOld} by the old revision, {ServedByNew} by the new), {Failed} failed" +
            (FirstFailures.Count > 0 ? $" (first: {string.Join("; ", FirstFailures)})" : string.Empty);
    }

    /// <summary>One backend revision: a test host, its client, and the requests it is serving now.</summary>
    private sealed class Revision(BackendHost host, HttpClient client) : IAsyncDisposable
    {
        private int _inFlight;
        private int _served;
        private bool _draining;
        private bool _disposed;

        public int Served => Volatile.Read(ref _served);

        /// <summary>Sends one request; null when the revision no longer takes requests (the router then re-routes it).</summary>
        public async Task<HttpResponseMessage?> SendAsync(int worker, int sequence, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                if (Volatile.Read(ref _draining))
                {
                    return null;
                }

                var response = sequence % 2 == 0
                    ? await client.GetAsync("/api/records?limit=5", cancellationToken)
                    : await client.PostAsJsonAsync("/api/records", new { title = $"worker {worker} request {sequence}" }, cancellationToken);
                Interlocked.Increment(ref _served);
                return response;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public async Task DrainAsync()
        {
            Volatile.Write(ref _draining, true);
            while (Volatile.Read(ref _inFlight) > 0)
            {
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            client.Dispose();
            await host.DisposeAsync();
        }
    }

    /// <summary>Sends each request to the revision that has the traffic, and counts the ones that fail.</summary>
    private sealed class Router(Revision initial)
    {
        private readonly Lock _gate = new();
        private readonly List<string> _failures = [];
        private Revision _current = initial;
        private int _failed;

        public int Failed => Volatile.Read(ref _failed);

        public IReadOnlyList<string> FirstFailures
        {
            get
            {
                lock (_gate)
                {
                    return _failures.ToList();
                }
            }
        }

        public int Served(Revision revision) => revision.Served;

        public void SwitchTo(Revision next) => Volatile.Write(ref _current, next);

        public async Task RunAsync(int worker, CancellationToken stop)
        {
            for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
            {
                var revision = Volatile.Read(ref _current);
                try
                {
                    using var response = await revision.SendAsync(worker, sequence, CancellationToken.None);
                    if (response is null)
                    {
                        sequence--;
                        continue;
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        Fail($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Fail(exception.GetType().Name + ": " + exception.Message);
                }
            }
        }

        private void Fail(string what)
        {
            Interlocked.Increment(ref _failed);
            lock (_gate)
            {
                if (_failures.Count < 3)
                {
                    _failures.Add(what.Length > 200 ? what[..200] : what);
                }
            }
        }
    }
}
