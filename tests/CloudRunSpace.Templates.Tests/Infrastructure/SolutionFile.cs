using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>Reads the project paths a solution file lists (.sln or .slnx).</summary>
public static partial class SolutionFile
{
    /// <summary>The project file paths listed in <paramref name="solutionPath"/>, relative to its folder, with '/' separators.</summary>
    /// <param name="solutionPath">A .sln or .slnx file.</param>
    /// <returns>Paths of entries that are project files (solution folders are left out).</returns>
    public static IReadOnlyList<string> ProjectPaths(string solutionPath)
    {
        var text = File.ReadAllText(solutionPath);
        var paths = solutionPath.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase)
            ? XDocument.Parse(text).Descendants("Project").Select(p => (string?)p.Attribute("Path") ?? "")
            : SlnProjectLine().Matches(text).Select(m => m.Groups["path"].Value);
        return paths
            .Select(p => p.Replace('\\', '/'))
            .Where(p => p.EndsWith("proj", StringComparison.OrdinalIgnoreCase))
            .ToList();
    }

    // Project("{type guid}") = "Name", "relative\path.csproj", "{project guid}"
    [GeneratedRegex("""^Project\("\{[^}]+\}"\)\s*=\s*"[^"]*",\s*"(?<path>[^"]+)",""", RegexOptions.Multiline)]
    private static partial Regex SlnProjectLine();
}
