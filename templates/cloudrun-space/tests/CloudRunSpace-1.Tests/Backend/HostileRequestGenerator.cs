using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CloudRunSpace_1.Backend.Records;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>What the backend must do with a hostile request.</summary>
public enum HostileOutcome
{
    /// <summary>A 4xx problem-details answer and no row written.</summary>
    Refused,

    /// <summary>201 and exactly one row, holding <see cref="HostileRequest.StoredTitle"/>.</summary>
    Stored,

    /// <summary>A read: 200, or a 4xx problem-details answer; nothing written either way.</summary>
    Read,
}

/// <summary>One generated request and what it must get.</summary>
public sealed record HostileRequest(
    string Kind,
    HttpMethod Method,
    string Path,
    byte[]? Body,
    string? ContentType,
    HostileOutcome Outcome,
    string? StoredTitle = null)
{
    /// <summary>Enough to reproduce the case by hand: kind, method, path and the start of the body.</summary>
    public override string ToString()
    {
        var body = Body is null ? "(no body)" : $"{Body.Length} bytes: {Preview(Body)}";
        return $"[{Kind}] {Method} {Path} content-type={ContentType ?? "(none)"} {body}";
    }

    private static string Preview(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 160));
        var escaped = new StringBuilder();
        foreach (var c in text)
        {
            escaped.Append(c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return escaped + (body.Length > 160 ? "…" : string.Empty);
    }
}

/// <summary>
/// Hostile requests for the records API from a seeded random source (the same seed gives the same requests):
/// malformed, empty, oversized and wrongly typed bodies, SQL metacharacters, long and unusual Unicode,
/// out-of-range ids and page sizes, large arrays, wrong methods and content types. Each request says by
/// construction what it must get, so the oracle does not reuse the code under test.
/// </summary>
public sealed class HostileRequestGenerator(int seed)
{
    private const string Json = "application/json";
    private const int MaxTitle = NewRecord.MaxTitleLength;

    private static readonly string[] SqlPieces =
    [
        "'", "''", "\"", ";", "--", "/*", "*/", "' OR '1'='1", "'; DROP TABLE records;--", "$1", "$$", "\\", "%", "_",
        "E'\\x41'", "); DELETE FROM records; --", "\\'", "`", "' || pg_sleep(10) --", "1; SELECT pg_sleep(10)", "%00", "NULL",
    ];

    // Printable, but unusual: direction marks, zero-width and joiners, astral characters, combining marks.
    private static readonly string[] UnicodePieces =
    [
        "\u200F", "\u202E", "\u2066", "\u200B", "\u200D", "\uFEFF", "👩‍👩‍👧‍👦", "😀", "𝕏", "e\u0301", "中文", "ﷺ", "\uFFFD",
        "\U0010FFFD", "Z̸̢̛͓a̷l̶g̷o̵", "ß", "İ", "ｆｕｌｌ", "אבג", "مرحبا", "\u2028", "<script>alert(1)</script>", "&amp;",
    ];

    private static readonly string[] ControlCharacters = ["\0", "\u0001", "\u001B", "\u007F", "\u0085", "\n", "\r", "\t", "\u009F"];

    private static readonly string[] WhitespaceOnly = ["", " ", "   ", "\u00A0", "\u3000", "\u2003", " \u2028 ", "\u1680"];

    private static readonly string[] LoneSurrogateEscapes = ["\\ud800", "\\udfff", "\\udbff", "\\udc00"];

    private readonly Random _random = new(seed);

    /// <summary>The seed, for the failure message.</summary>
    public int Seed { get; } = seed;

    /// <summary>Generates <paramref name="count"/> requests.</summary>
    public IEnumerable<HostileRequest> Generate(int count)
    {
        Func<HostileRequest>[] kinds =
        [
            ValidTitle, ValidTitle, ValidTitle, EmptyBody, WhitespaceBody, RandomBytes, TruncatedJson, WronglyTypedTitle,
            NonObjectBody, MissingOrNullTitle, BlankTitle, TitleWithControlCharacter, TooLongTitle, OversizedBody,
            LargeArray, LoneSurrogate, InvalidUtf8InString, DeeplyNested, WrongContentType, OddId, OddLimit, WrongMethod,
        ];
        for (var i = 0; i < count; i++)
        {
            yield return kinds[_random.Next(kinds.Length)]();
        }
    }

    private HostileRequest ValidTitle()
    {
        var target = _random.Next(1, MaxTitle + 1);
        var title = new StringBuilder();
        while (title.Length < target)
        {
            var piece = _random.Next(3) switch
            {
                0 => Pick(SqlPieces),
                1 => Pick(UnicodePieces),
                _ => RandomAscii(_random.Next(1, 12)),
            };
            if (title.Length + piece.Length > MaxTitle)
            {
                break;
            }

            title.Append(piece);
        }

        // A title of whitespace pieces alone (a line separator, say) would be blank: give it one letter.
        var text = title.ToString().Trim().Length == 0 ? "x" + title : title.ToString();
        return Post("valid title", JsonBody(text), HostileOutcome.Stored, text.Trim());
    }

    private HostileRequest EmptyBody() => Post("empty body", [], HostileOutcome.Refused);

    private HostileRequest WhitespaceBody() => Post("whitespace body", Utf8(new string(' ', _random.Next(1, 50)) + "\r\n\t"), HostileOutcome.Refused);

    private HostileRequest RandomBytes()
    {
        var bytes = new byte[_random.Next(1, 2_000)];
        _random.NextBytes(bytes);
        // Bytes that happened to start a JSON object would make a valid body by chance once in a blue moon.
        bytes[0] = (byte)'#';
        return Post("random bytes", bytes, HostileOutcome.Refused);
    }

    private HostileRequest TruncatedJson()
    {
        var whole = JsonBody("a complete title " + RandomAscii(20));
        return Post("truncated JSON", whole[..^_random.Next(1, whole.Length)], HostileOutcome.Refused);
    }

    private HostileRequest WronglyTypedTitle()
    {
        var value = _random.Next(7) switch
        {
            0 => _random.Next().ToString(CultureInfo.InvariantCulture),
            1 => "1e309",
            2 => "true",
            3 => "{\"title\":\"nested\"}",
            4 => "[\"a\",\"b\"]",
            5 => "-0.0",
            _ => "\"unterminated",
        };
        return Post("wrongly typed title", Utf8($"{{\"title\":{value}}}"), HostileOutcome.Refused);
    }

    private HostileRequest NonObjectBody()
    {
        var body = Pick(["[]", "[{\"title\":\"a\"},{\"title\":\"b\"}]", "\"title\"", "42", "true", "null", "{", "}", "{{}}", "{\"title\" \"x\"}", "{'title':'x'}"]);
        return Post("not a JSON object", Utf8(body), HostileOutcome.Refused);
    }

    private HostileRequest MissingOrNullTitle()
    {
        var body = Pick(["{}", "{\"title\":null}", "{\"Title\":null}", "{\"name\":\"x\"}", "{\"titl\":\"x\"}"]);
        return Post("missing title", Utf8(body), HostileOutcome.Refused);
    }

    private HostileRequest BlankTitle() => Post("blank title", JsonBody(Pick(WhitespaceOnly)), HostileOutcome.Refused);

    private HostileRequest TitleWithControlCharacter() =>
        Post("control character", JsonBody(RandomAscii(_random.Next(1, 50)) + Pick(ControlCharacters) + RandomAscii(_random.Next(1, 50))), HostileOutcome.Refused);

    private HostileRequest TooLongTitle()
    {
        var title = new StringBuilder();
        var target = _random.Next(MaxTitle + 1, 4_000);
        while (title.Length < target)
        {
            title.Append(_random.Next(2) == 0 ? Pick(UnicodePieces) : RandomAscii(10));
        }

        return Post("too long title", JsonBody(title.ToString()), HostileOutcome.Refused);
    }

    private HostileRequest OversizedBody()
    {
        // Valid JSON with a valid title: only its size makes it wrong, so only the size limit can refuse it.
        var padding = new string(' ', (int)RecordsEndpoints.MaxRequestBodyBytes + _random.Next(1, 200_000));
        return Post("oversized body", Utf8("{\"title\":\"fits\"" + padding + "}"), HostileOutcome.Refused);
    }

    private HostileRequest LargeArray()
    {
        var items = string.Join(',', Enumerable.Range(0, _random.Next(1_000, 50_000)).Select(i => i % 10));
        var body = _random.Next(2) == 0 ? $"{{\"title\":[{items}]}}" : $"[{items}]";
        return Post("large array", Utf8(body), HostileOutcome.Refused);
    }

    private HostileRequest LoneSurrogate() =>
        Post("lone surrogate", Utf8($"{{\"title\":\"ok{Pick(LoneSurrogateEscapes)}ok\"}}"), HostileOutcome.Refused);

    private HostileRequest InvalidUtf8InString()
    {
        byte[][] invalid = [[0xC3], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x80]];
        return Post("invalid UTF-8", [.. Utf8("{\"title\":\"ok"), .. Pick(invalid), .. Utf8("ok\"}")], HostileOutcome.Refused);
    }

    private HostileRequest DeeplyNested()
    {
        var depth = _random.Next(65, 5_000);
        return Post("deeply nested", Utf8("{\"title\":" + new string('[', depth) + new string(']', depth) + "}"), HostileOutcome.Refused);
    }

    private HostileRequest WrongContentType()
    {
        var contentType = Pick(["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x", null]);
        return new HostileRequest("wrong content type", HttpMethod.Post, "/api/records", JsonBody("valid but mislabelled"), contentType, HostileOutcome.Refused);
    }

    private HostileRequest OddId()
    {
        var id = _random.Next(9) switch
        {
            0 => long.MaxValue.ToString(CultureInfo.InvariantCulture),
            1 => long.MinValue.ToString(CultureInfo.InvariantCulture),
            2 => "9223372036854775808",
            3 => "-1",
            4 => "0",
            5 => Uri.EscapeDataString(Pick(SqlPieces)),
            6 => Uri.EscapeDataString(Pick(UnicodePieces)),
            7 => "1e3",
            _ => _random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        };
        return new HostileRequest("odd id", HttpMethod.Get, $"/api/records/{id}", null, null, HostileOutcome.Read);
    }

    private HostileRequest OddLimit()
    {
        var limit = _random.Next(7) switch
        {
            0 => _random.Next(int.MinValue, 1).ToString(CultureInfo.InvariantCulture),
            1 => _random.Next(RecordsEndpoints.MaxLimit + 1, int.MaxValue).ToString(CultureInfo.InvariantCulture),
            2 => "99999999999999999999",
            3 => Uri.EscapeDataString(Pick(SqlPieces)),
            4 => "1&limit=2",
            5 => "",
            _ => _random.Next(1, RecordsEndpoints.MaxLimit + 1).ToString(CultureInfo.InvariantCulture),
        };
        return new HostileRequest("odd limit", HttpMethod.Get, $"/api/records?limit={limit}", null, null, HostileOutcome.Read);
    }

    private HostileRequest WrongMethod()
    {
        var method = Pick([HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch]);
        var path = _random.Next(2) == 0 ? "/api/records" : "/api/records/1";
        return new HostileRequest("wrong method", method, path, JsonBody("x"), Json, HostileOutcome.Refused);
    }

    private HostileRequest Post(string kind, byte[] body, HostileOutcome outcome, string? storedTitle = null) =>
        new(kind, HttpMethod.Post, "/api/records", body, Json, outcome, storedTitle);

    // Half the bodies escape everything non-ASCII as \uXXXX, half send it as raw UTF-8.
    private byte[] JsonBody(string title)
    {
        var options = new JsonSerializerOptions
        {
            Encoder = _random.Next(2) == 0 ? JavaScriptEncoder.Default : JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["title"] = title }, options);
    }

    private string RandomAscii(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)_random.Next('!', '~' + 1);
        }

        return new string(chars);
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
