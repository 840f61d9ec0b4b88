namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>
/// A migrated backend on a database of its own and a frontend calling it in-process: what a test that goes
/// through the frontend needs. Create one per test and forward the test's InitializeAsync/DisposeAsync to it.
/// </summary>
public sealed class RunningSpace(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private BackendHost? _backend;
    private FrontendHost? _frontend;

    /// <summary>
    /// This space's backend URL, the audience of its ID tokens: its own, so what the fake metadata server mints for
    /// it can be counted while other tests run.
    /// </summary>
    public string Audience { get; } = $"https://backend-{Guid.NewGuid():N}-uc.a.run.app";

    /// <summary>The backend, verifying tokens against the fake issuer.</summary>
    public BackendHost Backend => _backend ?? throw new InvalidOperationException("The space is not started.");

    /// <summary>The frontend, calling <see cref="Backend"/>.</summary>
    public FrontendHost Frontend => _frontend ?? throw new InvalidOperationException("The space is not started.");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        _backend = new BackendHost(await postgres.CreateDatabaseAsync(), google, new Dictionary<string, string?> { ["Auth:Audience"] = Audience });
        await _backend.MigrateAsync();
        _frontend = new FrontendHost(_backend, Audience);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_frontend is not null)
        {
            await _frontend.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }
}
