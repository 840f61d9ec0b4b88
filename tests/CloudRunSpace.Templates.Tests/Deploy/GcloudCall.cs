namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>One gcloud call as the stand-in recorded it (or as a script printed it on --dry-run).</summary>
/// <param name="Argv">The arguments after <c>gcloud</c>.</param>
public sealed record GcloudCall(IReadOnlyList<string> Argv)
{
    /// <summary>The leading words before the first flag, e.g. <c>run deploy NAME</c>.</summary>
    public IReadOnlyList<string> Words => Argv.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();

    /// <summary>True when the call starts with these words, e.g. <c>"run", "deploy"</c>.</summary>
    public bool Is(params string[] words) => Words.Take(words.Length).SequenceEqual(words);

    /// <summary>The value of <c>--name=value</c>, or null.</summary>
    public string? Flag(string name) =>
        Argv.FirstOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal)) is { } arg ? arg[(name.Length + 1)..] : null;

    /// <summary>True when the bare flag (no value) is present.</summary>
    public bool Has(string flag) => Argv.Contains(flag);

    /// <summary>Whether the call changes something (as opposed to describe/list queries).</summary>
    public bool Mutates => !Words.Any(w => w is "describe" or "list");

    /// <inheritdoc />
    public override string ToString() => "gcloud " + string.Join(' ', Argv);
}
