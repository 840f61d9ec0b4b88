using System.Text.RegularExpressions;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>Reads the <c>DRY-RUN: gcloud …</c> lines a script prints on --dry-run.</summary>
public static partial class DryRunOutput
{
    public const string Prefix = "DRY-RUN: gcloud ";

    /// <summary>The printed calls. Arguments are shell-quoted with printf %q (a backslash before special
    /// characters, spaces included); the scripts' values need no other quoting.</summary>
    public static IReadOnlyList<GcloudCall> Calls(string stdout) =>
        stdout.Split('\n')
            .Where(l => l.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(l => new GcloudCall(UnescapedSpace().Split(l[Prefix.Length..].TrimEnd('\r')).Select(Unquote).ToList()))
            .ToList();

    private static string Unquote(string word) => word.Replace("\\", "", StringComparison.Ordinal);

    [GeneratedRegex(@"(?<!\\) ")]
    private static partial Regex UnescapedSpace();
}
