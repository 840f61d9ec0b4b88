namespace CloudRunSpace.SpaceChecks.Composition;

/// <summary>
/// One entry of the space's manifest (space/NAME.conf: KEY=value lines, # comments, values optionally quoted), read
/// here on its own so that the checks see what a team wrote, not what the AppHost made of it.
/// </summary>
/// <param name="Name">The entry's name (the file's).</param>
/// <param name="Settings">Its keys and values.</param>
public sealed record ManifestEntry(string Name, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>The entries a space is generated with; the rest were added to it.</summary>
    public static readonly string[] GeneratedEntries = ["frontend", "backend"];

    /// <summary>service or job.</summary>
    public string Kind => Settings.GetValueOrDefault("KIND", "");

    /// <summary>The entries allowed to call it (INVOKERS, comma-separated).</summary>
    public IReadOnlyList<string> Invokers =>
        Settings.GetValueOrDefault("INVOKERS", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Every entry the space's manifest folder holds, by name.</summary>
    /// <param name="spaceDirectory">The space's root.</param>
    public static IReadOnlyList<ManifestEntry> ReadAll(string spaceDirectory)
    {
        var folder = Path.Combine(spaceDirectory, "space");
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException($"{spaceDirectory} has no space/ manifest folder");
        }

        return Directory.GetFiles(folder, "*.conf").Order(StringComparer.Ordinal).Select(Read).ToList();
    }

    /// <summary>The entries added to the space after it was generated.</summary>
    /// <param name="spaceDirectory">The space's root.</param>
    public static IReadOnlyList<ManifestEntry> Added(string spaceDirectory) =>
        ReadAll(spaceDirectory).Where(e => !GeneratedEntries.Contains(e.Name)).ToList();

    private static ManifestEntry Read(string file)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadLines(file))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var (key, value) = line.Split('=', 2) is [var k, var v] ? (k, v) : throw new InvalidOperationException($"{file}: not KEY=value: {raw}");
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            settings[key] = value;
        }

        return new ManifestEntry(Path.GetFileNameWithoutExtension(file), settings);
    }
}
