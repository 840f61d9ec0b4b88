using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CloudRunSpace_1.Tests.Fakes;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// Thousands of seeded hostile requests at the records API: none may get a 5xx, every refusal is 4xx problem
/// details, and a refused request writes nothing (the row count is checked after every request).
/// </summary>
public sealed class HostileInputTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    /// <summary>The seed when <c>HOSTILE_SEED</c> does not name another (to explore, or to reproduce one).</summary>
    private const int DefaultSeed = 20_261_128;

    private const int RequestCount = 3_000;

    private string? _database;
    private BackendHost? _backend;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        // A free loopback port by configuration, not UseKestrel(port): that rewrites the server's addresses after
        // the host is built, and fails when the app's own start has already bound them.
        _backend = new BackendHost(_database, google, new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0" });
        // The real server, not the in-memory test server: Kestrel is what enforces the request size limit and
        // parses what a hostile client really sends.
        _backend.UseKestrel();
        _backend.StartServer();
        await _backend.MigrateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hostile_requests_get_4xx_problem_details_never_a_5xx_and_refusals_write_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("HOSTILE_SEED"), CultureInfo.InvariantCulture, out var chosen) ? chosen : DefaultSeed;
        TestContext.Current.TestOutputHelper?.WriteLine($"HOSTILE_SEED={seed}, {RequestCount} requests");
        var client = _backend!.CreateClient();
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Bearer", google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail));
        await using var database = NpgsqlDataSource.Create(_database!);
        var rows = await CountRowsAsync(database);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();

        var index = 0;
        foreach (var request in new HostileRequestGenerator(seed).Generate(RequestCount))
        {
            var (status, problem) = await SendAsync(client, request);
            var rowsAfter = await CountRowsAsync(database);
            var expectedRows = rows + (request.Outcome == HostileOutcome.Stored ? 1 : 0);
            var failure = Judge(request, status, problem, rowsAfter, expectedRows);
            if (failure is null && request.Outcome == HostileOutcome.Stored)
            {
                failure = await CheckStoredTitleAsync(database, request.StoredTitle!);
            }

            if (failure is not null)
            {
                failures.Add($"#{index} {request}: {failure}");
            }

            var key = $"{request.Kind} → {status}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            rows = rowsAfter;
            index++;
        }

        foreach (var (outcome, count) in outcomes.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"{count,5} × {outcome}");
        }

        Assert.True(
            failures.Count == 0,
            $"HOSTILE_SEED={seed}: {failures.Count} of {RequestCount} requests were mishandled (reproduce with HOSTILE_SEED={seed}):\n"
            + string.Join('\n', failures.Take(20)));
    }

    private static string? Judge(HostileRequest request, int status, JsonElement? problem, long rows, long expectedRows)
    {
        if (status >= 500)
        {
            return $"answered {status}";
        }

        if (rows != expectedRows)
        {
            return $"answered {status} and the table has {rows} rows, not {expectedRows}";
        }

        return request.Outcome switch
        {
            HostileOutcome.Stored when status != (int)HttpStatusCode.Created => $"a valid record answered {status}, not 201",
            HostileOutcome.Refused when status is < 400 or >= 500 => $"answered {status}, not a 4xx refusal",
            HostileOutcome.Read when status is not (200 or (>= 400 and < 500)) => $"a read answered {status}",
            _ when status >= 400 && problem is null => $"answered {status} without a problem-details body",
            _ when status >= 400 && !(problem!.Value.TryGetProperty("status", out var said) && said.TryGetInt32(out var number) && number == status)
                => $"answered {status} but its problem details say otherwise: {problem}",
            _ => null,
        };
    }

    private static async Task<(int Status, JsonElement? Problem)> SendAsync(HttpClient client, HostileRequest request)
    {
        using var message = new HttpRequestMessage(request.Method, request.Path);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = request.ContentType is null ? null : MediaTypeHeaderValue.Parse(request.ContentType);
        }

        using var response = await client.SendAsync(message, Cancellation);
        JsonElement? problem = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation)).RootElement.Clone();
        }

        return ((int)response.StatusCode, problem);
    }

    private static async Task<long> CountRowsAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM records");
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private static async Task<string?> CheckStoredTitleAsync(NpgsqlDataSource database, string expected)
    {
        await using var command = database.CreateCommand("SELECT title FROM records ORDER BY id DESC LIMIT 1");
        var stored = (string)(await command.ExecuteScalarAsync(Cancellation))!;
        return stored == expected ? null : $"stored {JsonSerializer.Serialize(stored)}, not {JsonSerializer.Serialize(expected)}";
    }
}
