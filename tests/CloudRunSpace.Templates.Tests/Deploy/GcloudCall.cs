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

    /// <summary>
    /// The secrets of <c>--set-secrets=KEY=SECRET:VERSION,…</c> (environment variables and mounted files alike), as
    /// KEY → <c>SECRET:VERSION</c>; empty without the flag.
    /// </summary>
    public IReadOnlyDictionary<string, string> SecretRefs => ParseSecretRefs(Flag("--set-secrets"));

    /// <summary>A <c>KEY=SECRET:VERSION,…</c> value as KEY → <c>SECRET:VERSION</c>.</summary>
    public static IReadOnlyDictionary<string, string> ParseSecretRefs(string? value) =>
        (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    /// <summary>True when the bare flag (no value) is present.</summary>
    public bool Has(string flag) => Argv.Contains(flag);

    /// <summary>Whether the call changes something (as opposed to describe/list queries).</summary>
    public bool Mutates => !Words.Any(w => w is "describe" or "list" or "list-configs" or "access" or "get-iam-policy" or "print-access-token");

    /// <inheritdoc />
    public override string ToString() => "gcloud " + string.Join(' ', Argv);
}
