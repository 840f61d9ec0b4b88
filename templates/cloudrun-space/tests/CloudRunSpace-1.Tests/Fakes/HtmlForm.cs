using System.Net;
using System.Text.RegularExpressions;

namespace CloudRunSpace_1.Tests.Fakes;

/// <summary>Reads a served page's form the way a browser posts it back.</summary>
public static partial class HtmlForm
{
    /// <summary>The hidden fields a browser would post back with the form: the antiforgery token, Blazor's form name.</summary>
    public static Dictionary<string, string> HiddenInputs(string html) =>
        InputTag().Matches(html)
            .Select(tag => tag.Value)
            .Where(tag => tag.Contains("type=\"hidden\"", StringComparison.Ordinal))
            .ToDictionary(tag => Attribute(tag, "name"), tag => Attribute(tag, "value"));

    private static string Attribute(string tag, string name) =>
        WebUtility.HtmlDecode(Regex.Match(tag, $"\\b{name}=\"(?<value>[^\"]*)\"").Groups["value"].Value);

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex InputTag();
}
