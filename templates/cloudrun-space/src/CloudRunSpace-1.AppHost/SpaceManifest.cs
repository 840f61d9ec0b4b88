using System.Text.RegularExpressions;

namespace CloudRunSpace_1.AppHost;

/// <summary>The space manifest, <c>space/*.conf</c>: every service and job of the space, checked as the AppHost starts.</summary>
internal static partial class SpaceManifest
{
    private static readonly HashSet<string> CommonKeys = ["KIND", "PROJECT", "DOCKERFILE", "DATABASE", "CPU", "MEMORY", "DB_POOL_SIZE"];
    private static readonly HashSet<string> ServiceKeys = ["INGRESS", "INVOKERS", "CONCURRENCY", "MIN_INSTANCES", "MAX_INSTANCES"];
    private static readonly HashSet<string> JobKeys = ["TASK_TIMEOUT", "MAX_RETRIES", "SCHEDULE", "TIME_ZONE"];

    /// <summary>Reads and checks every entry below <paramref name="spaceRoot"/>/space, in name order.</summary>
    /// <exception cref="SpaceManifestException">An entry is malformed; the message names its file and line.</exception>
    public static IReadOnlyList<SpaceEntry> Read(string spaceRoot)
    {
        var folder = Path.Combine(spaceRoot, "space");
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.conf").Order(StringComparer.Ordinal).ToList() : [];
        var names = files.Select(Path.GetFileNameWithoutExtension).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var entries = files.Select(file => ReadEntry(spaceRoot, file, names)).ToList();
        if (!names.Contains("frontend") || !names.Contains("backend"))
        {
            throw new SpaceManifestException("space/", null, "the space needs its frontend.conf and backend.conf entries");
        }

        return entries;
    }

    private static SpaceEntry ReadEntry(string spaceRoot, string file, IReadOnlySet<string> names)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var display = $"space/{Path.GetFileName(file)}";
        if (!EntryName().IsMatch(name))
        {
            throw new SpaceManifestException(display, null,
                $"the entry name '{name}' (the file name) must be 1 to 20 lowercase letters, digits and inner hyphens, starting with a letter");
        }

        var settings = SpaceManifestFile.Read(file, display);
        string Required(string key) => settings.TryGetValue(key, out var setting) && setting.Value.Length > 0
            ? setting.Value
            : throw new SpaceManifestException(display, null, $"{key} is missing");
        int LineOf(string key) => settings[key].Line;

        var kind = Required("KIND") switch
        {
            "service" => SpaceEntryKind.Service,
            "job" => SpaceEntryKind.Job,
            var other => throw new SpaceManifestException(display, LineOf("KIND"), $"KIND must be service or job, not '{other}'"),
        };
        var allowed = kind == SpaceEntryKind.Service ? ServiceKeys : JobKeys;
        foreach (var (key, (_, line)) in settings)
        {
            if (!CommonKeys.Contains(key) && !allowed.Contains(key))
            {
                throw new SpaceManifestException(display, line, $"{key} is not a setting of a {Required("KIND")}");
            }
        }

        var project = Path.GetFullPath(Path.Combine(spaceRoot, Required("PROJECT")));
        if (!File.Exists(project))
        {
            throw new SpaceManifestException(display, LineOf("PROJECT"), $"the project {Required("PROJECT")} does not exist");
        }

        Required("DOCKERFILE");
        var database = Required("DATABASE") switch
        {
            "true" => true,
            "false" => false,
            var other => throw new SpaceManifestException(display, LineOf("DATABASE"), $"DATABASE must be true or false, not '{other}'"),
        };
        if (settings.TryGetValue("DB_POOL_SIZE", out var pool) && (!int.TryParse(pool.Value, out var size) || size is < 1 or > 500))
        {
            throw new SpaceManifestException(display, pool.Line, $"DB_POOL_SIZE must be from 1 to 500, not '{pool.Value}'");
        }

        return new SpaceEntry(name, kind, project, database, kind == SpaceEntryKind.Service ? ReadInvokers(display, settings, names) : []);
    }

    private static List<string> ReadInvokers(string display, IReadOnlyDictionary<string, (string Value, int Line)> settings, IReadOnlySet<string> names)
    {
        var ingress = settings.TryGetValue("INGRESS", out var setting) ? setting.Value : string.Empty;
        if (ingress is not ("all" or "internal"))
        {
            throw new SpaceManifestException(display, setting.Line is 0 ? null : setting.Line, $"INGRESS must be all or internal, not '{ingress}'");
        }

        var invokers = settings.TryGetValue("INVOKERS", out var given)
            ? given.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
            : [];
        foreach (var invoker in invokers.Where(invoker => !names.Contains(invoker)))
        {
            throw new SpaceManifestException(display, given.Line, $"INVOKERS names '{invoker}', which is no entry of space/");
        }

        if (ingress == "internal" && invokers.Count == 0)
        {
            throw new SpaceManifestException(display, given.Line is 0 ? null : given.Line, "an internal service needs INVOKERS: the entries that may call it");
        }

        return invokers;
    }

    [GeneratedRegex("^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")]
    private static partial Regex EntryName();
}
