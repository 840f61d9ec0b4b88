using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CloudRunSpace_1.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>
/// Forged, bent and misplaced ID tokens: each gets 401 (or 403 for a genuine token of a stranger), reads and
/// writes alike, nothing is written, and the token never reaches a log line.
/// </summary>
public sealed class TokenAttackTests(FakeGoogle google, PostgresServer postgres) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Wire = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly CapturingLoggerProvider _logs = new();
    private string? _database;
    private BackendHost? _backend;
    private WebApplicationFactory<CloudRunSpace_1.Backend.Records.RecordStore>? _host;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        _backend = new BackendHost(_database, google);
        await _backend.MigrateAsync();
        _host = _backend.WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(_logs)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string> Attacks =>
    [
        "alg none", "alg none, upper case", "HS256 keyed with the PEM public key", "HS256 keyed with the DER public key",
        "signed with a stranger's key", "unknown key id", "expired", "issued in the future", "wrong issuer",
        "wrong audience", "tampered payload", "tampered header", "signature cut off", "not a JWT", "undecodable segments",
        "JSON that is not an object", "empty bearer", "basic scheme", "oversized token", "token in the query string",
    ];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_bad_token_is_401_reads_and_writes_alike_and_is_never_logged(string attack)
    {
        var (authorization, query) = await BuildAsync(attack);
        await AssertRefusedAsync(authorization, query, HttpStatusCode.Unauthorized, TokenIn(authorization, query));
    }

    [Fact]
    public async Task A_valid_token_of_a_caller_not_on_the_allow_list_is_403_and_never_logged()
    {
        var token = google.IssueIdToken(BackendHost.Audience, "intruder@test-project.iam.gserviceaccount.com");
        await AssertRefusedAsync(new AuthenticationHeaderValue("Bearer", token), null, HttpStatusCode.Forbidden, token);
    }

    [Fact]
    public async Task The_log_capture_sees_the_rejection_reasons()
    {
        // Without this, "no log line holds the token" could pass because nothing was captured at all.
        var (authorization, _) = await BuildAsync("expired");
        await AssertRefusedAsync(authorization, null, HttpStatusCode.Unauthorized, authorization!.Parameter!);

        Assert.Contains(_logs.Entries, entry => entry.Contains("Rejected a caller's ID token", StringComparison.Ordinal));
    }

    private async Task AssertRefusedAsync(AuthenticationHeaderValue? authorization, string? query, HttpStatusCode expected, string token)
    {
        await using var database = NpgsqlDataSource.Create(_database!);
        var rowsBefore = await CountRowsAsync(database);
        var client = _host!.CreateClient();
        client.DefaultRequestHeaders.Authorization = authorization;

        var read = await client.GetAsync("/api/records" + query, Cancellation);
        var write = await client.PostAsJsonAsync("/api/records" + query, new { title = "written by an attacker" }, Cancellation);

        // On a surprise, the service's own log lines say why.
        Assert.True(
            read.StatusCode == expected && write.StatusCode == expected,
            $"read {(int)read.StatusCode}, write {(int)write.StatusCode}, not {(int)expected}; the service logged:\n{string.Join('\n', _logs.Entries)}");
        Assert.Equal(rowsBefore, await CountRowsAsync(database));
        // Whole token and each of its parts: a log line with only the signature would leak as much.
        var secrets = token.Split('.').Where(part => part.Length >= 16).Append(token).ToArray();
        var leaks = _logs.Entries.Where(entry => secrets.Any(secret => entry.Contains(secret, StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, "the token reached the logs:\n" + string.Join('\n', leaks));
    }

    private async Task<(AuthenticationHeaderValue? Authorization, string? Query)> BuildAsync(string attack)
    {
        var now = DateTimeOffset.UtcNow;
        var valid = google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail);
        var claims = ValidClaims(now);
        var token = attack switch
        {
            "alg none" => Unsigned(new { alg = "none", typ = "JWT" }, claims),
            "alg none, upper case" => Unsigned(new { alg = "NONE", typ = "JWT", kid = "fake-key-1" }, claims),
            "HS256 keyed with the PEM public key" => Hs256(claims, Encoding.ASCII.GetBytes((await PublicKeyAsync()).ExportSubjectPublicKeyInfoPem())),
            "HS256 keyed with the DER public key" => Hs256(claims, (await PublicKeyAsync()).ExportSubjectPublicKeyInfo()),
            "signed with a stranger's key" => SignedByStranger(claims, "fake-key-1"),
            "unknown key id" => SignedByStranger(claims, "no-such-key"),
            "expired" => google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail, issuedAt: now.AddHours(-2)),
            "issued in the future" => google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail, issuedAt: now.AddHours(1)),
            "wrong issuer" => google.IssueIdToken(BackendHost.Audience, FakeGoogle.ServiceAccountEmail, issuer: "https://evil.example.com"),
            "wrong audience" => google.IssueIdToken("https://someone-else.a.run.app", FakeGoogle.ServiceAccountEmail),
            "tampered payload" => ReplaceSegment(valid, 1, Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims with { Exp = now.AddYears(10).ToUnixTimeSeconds() }, Wire))),
            "tampered header" => ReplaceSegment(valid, 0, Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = "fake-key-1", x = 1 }))),
            "signature cut off" => valid[..(valid.LastIndexOf('.') + 1)],
            "not a JWT" => "this-is-not-a-token",
            "undecodable segments" => "%%%.!!!.***",
            "JSON that is not an object" => $"{Base64Url("[1,2]"u8.ToArray())}.{Base64Url("\"x\""u8.ToArray())}.{Base64Url([1, 2, 3])}",
            "empty bearer" => string.Empty,
            "basic scheme" => valid,
            "oversized token" => valid + new string('A', 64 * 1024),
            "token in the query string" => valid,
            _ => throw new ArgumentOutOfRangeException(nameof(attack), attack, "no such attack"),
        };

        return attack switch
        {
            "basic scheme" => (new AuthenticationHeaderValue("Basic", token), null),
            "empty bearer" => (AuthenticationHeaderValue.Parse("Bearer"), null),
            "token in the query string" => (null, $"?access_token={token}&id_token={token}&token={token}"),
            _ => (new AuthenticationHeaderValue("Bearer", token), null),
        };
    }

    private static string TokenIn(AuthenticationHeaderValue? authorization, string? query) =>
        authorization?.Parameter is { Length: > 0 } parameter ? parameter : query?.Split('=', '&')[1] ?? "(no token)";

    private async Task<RSA> PublicKeyAsync()
    {
        using var http = new HttpClient();
        var jwks = await http.GetFromJsonAsync<JsonObject>(google.CertificatesUrl, Cancellation);
        var key = jwks!["keys"]![0]!;
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = Base64UrlDecode((string)key["n"]!),
            Exponent = Base64UrlDecode((string)key["e"]!),
        });
        return rsa;
    }

    private static Claims ValidClaims(DateTimeOffset now) => new(
        FakeGoogle.Issuer, BackendHost.Audience, "1", FakeGoogle.ServiceAccountEmail, true, now.ToUnixTimeSeconds(), now.AddHours(1).ToUnixTimeSeconds());

    private static string Unsigned(object header, Claims claims) =>
        $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims, Wire))}.";

    private static string Hs256(Claims claims, byte[] key)
    {
        var input = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT", kid = "fake-key-1" }))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims, Wire))}";
        return $"{input}.{Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(input)))}";
    }

    private static string SignedByStranger(Claims claims, string keyId)
    {
        using var stranger = RSA.Create(2048);
        return FakeGoogle.Sign(new { alg = "RS256", typ = "JWT", kid = keyId }, JsonSerializer.SerializeToNode(claims, Wire)!, stranger);
    }

    private static string ReplaceSegment(string token, int index, string segment)
    {
        var parts = token.Split('.');
        parts[index] = segment;
        return string.Join('.', parts);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    private static async Task<long> CountRowsAsync(NpgsqlDataSource database)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM records");
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    // The claims of a Google ID token; on the wire they are snake_case (see Wire).
    private sealed record Claims(string Iss, string Aud, string Sub, string Email, bool EmailVerified, long Iat, long Exp);
}
