using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>
/// The post actions work: they fail with exit code 0 (only their output says so), so the output is read,
/// and the chmod post action's effect is checked on disk.
/// </summary>
public sealed class PostActionTests(TemplateHive hive)
{
    private const string ChmodActionId = "cb9a6cf3-4f5c-4860-b9d2-03a574959774";

    [Fact]
    public async Task No_post_action_fails_or_leaves_manual_instructions()
    {
        var space = await hive.SharedInstantiationAsync("Acme.Shop");

        Assert.True(space.ExitCode == 0, space.Output);
        Assert.DoesNotContain("Post action failed", space.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Manual instructions:", space.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_file_the_chmod_post_action_names_exists_and_is_executable()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Windows has no execute bit.");
            return; // for the platform analyzer, which does not know Skip throws
        }

        // The post action's own "+x" list (globs allowed) is the contract: each entry must match a file.
        var patterns = (TemplateConfig.Load().Template["postActions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(p => string.Equals((string?)p["actionId"], ChmodActionId, StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => p["args"]?["+x"] as JsonArray ?? [])
            .Select(p => (string?)p ?? "")
            .ToList();
        Assert.True(patterns.Count > 0, "template.json has no chmod +x post action for the scripts.");
        var space = await hive.SharedInstantiationAsync("Acme.Shop");

        var problems = new List<string>();
        foreach (var pattern in patterns)
        {
            var glob = GlobRegex(pattern);
            var matches = space.Files.Where(f => glob.IsMatch(f)).ToList();
            if (matches.Count == 0)
            {
                problems.Add($"{pattern}: matches no generated file");
            }

            foreach (var file in matches)
            {
                if (!File.GetUnixFileMode(space.PathOf(file)).HasFlag(UnixFileMode.UserExecute))
                {
                    problems.Add($"{file}: not executable");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    // chmod's arguments go through a shell: '*' and '?' stay within one path segment.
    private static Regex GlobRegex(string glob) =>
        new("^" + Regex.Escape(glob).Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$");
}
