namespace CloudRunSpace_1.AppHost;

/// <summary>
/// Reads one manifest file's <c>KEY=value</c> lines: never executed; blank lines and lines starting with <c>#</c> are
/// skipped, a value may be quoted (<c>"…"</c> or <c>'…'</c>), an unquoted value ends at a <c> #</c> comment.
/// </summary>
internal static class SpaceManifestFile
{
    /// <summary>The file's settings by key, with the line each came from.</summary>
    /// <exception cref="SpaceManifestException">A line is not <c>KEY=value</c>, or a key is given twice.</exception>
    public static IReadOnlyDictionary<string, (string Value, int Line)> Read(string path, string displayPath)
    {
        var settings = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? line[..equals].Trim() : string.Empty;
            if (key.Length == 0 || !key.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
            {
                throw new SpaceManifestException(displayPath, lineNumber, $"expected KEY=value (KEY in capitals), not '{line}'");
            }

            if (settings.ContainsKey(key))
            {
                throw new SpaceManifestException(displayPath, lineNumber, $"{key} is set twice");
            }

            settings[key] = (Unquote(line[(equals + 1)..].Trim(), displayPath, lineNumber), lineNumber);
        }

        return settings;
    }

    private static string Unquote(string value, string displayPath, int line)
    {
        if (value.Length > 0 && value[0] is '"' or '\'')
        {
            var end = value.IndexOf(value[0], 1);
            if (end < 0 || (value[(end + 1)..].Trim() is { Length: > 0 } rest && !rest.StartsWith('#')))
            {
                throw new SpaceManifestException(displayPath, line, $"the quoted value {value} is not closed, or text follows its closing quote");
            }

            return value[1..end];
        }

        var comment = value.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? value[..comment] : value).Trim();
    }
}
