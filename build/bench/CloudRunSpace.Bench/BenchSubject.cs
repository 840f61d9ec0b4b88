namespace CloudRunSpace.Bench;

/// <summary>One thing to start: a published service or baseline, where it answers when up, and what loads it.</summary>
public sealed class BenchSubject
{
    /// <summary>A short key, e.g. backend-jit.</summary>
    public string Key { get; init; } = "";

    /// <summary>Its row title in the report.</summary>
    public string Title { get; init; } = "";

    /// <summary>A .dll (run by dotnet) or a native executable.</summary>
    public string Entry { get; init; } = "";

    /// <summary>Its publish folder.</summary>
    public string PublishDirectory { get; init; } = "";

    /// <summary>The path that answers 200 once it is up.</summary>
    public string ReadyPath { get; init; } = "/";

    /// <summary>The path the sequential requests go to.</summary>
    public string LoadPath { get; init; } = "/";

    /// <summary>The key of the baseline doing the same work, which it is compared with ("" for a baseline).</summary>
    public string Baseline { get; init; } = "";

    /// <summary>Whether resident memory is read again after the sequential requests.</summary>
    public bool LoadedRss { get; init; }

    /// <summary>Its settings for a port.</summary>
    public Func<int, Dictionary<string, string>> Environment { get; init; } = _ => [];

    /// <summary>An Authorization header value for its requests, or null.</summary>
    public Func<string?> Authorization { get; init; } = () => null;

    /// <summary>Milliseconds from spawn to the first 200 of the ready path, one per repetition.</summary>
    public List<double> StartMs { get; } = [];

    /// <summary>Resident MiB once ready.</summary>
    public List<double> RssStartMiB { get; } = [];

    /// <summary>Resident MiB after the sequential requests.</summary>
    public List<double> RssLoadedMiB { get; } = [];

    /// <summary>Where resident memory goes after the sequential requests.</summary>
    public List<RssBreakdown> RssLoadedParts { get; } = [];

    /// <summary>Publish size.</summary>
    public double SizeMiB { get; set; }
}
