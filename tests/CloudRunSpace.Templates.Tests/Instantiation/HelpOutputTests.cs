using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;
using CloudRunSpace.Templates.Tests.Metadata;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>`dotnet new cloudrun-space --help` documents every option, its description and its choices.</summary>
public sealed partial class HelpOutputTests(TemplateHive hive)
{
    private readonly TemplateConfig _config = TemplateConfig.Load();

    [Fact]
    public async Task Help_lists_exactly_the_promised_options()
    {
        var help = await HelpAsync();
        var section = help[help.IndexOf("Template options:", StringComparison.Ordinal)..];

        var options = TemplateOptionLine().Matches(section).Select(m => m.Groups["option"].Value).ToHashSet();

        Assert.Equal(HostFilesTests.PromisedOptions.Select(o => "--" + o).Order(), options.Order());
    }

    [Fact]
    public async Task Help_shows_every_option_s_description()
    {
        var help = Collapse(await HelpAsync());

        Assert.All(_config.ParameterSymbols, s =>
            Assert.Contains(Collapse((string?)s.Value["description"] ?? $"<{s.Key} has no description>"), help, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_shows_every_choice_with_its_description()
    {
        var help = Collapse(await HelpAsync());
        var choices = _config.ParameterSymbols.Values
            .SelectMany(s => s["choices"]?.AsArray() ?? [])
            .Select(c => (Value: (string?)c?["choice"] ?? "", Description: (string?)c?["description"] ?? ""))
            .ToList();

        Assert.All(["razor", "blazor", "password", "iam", "direct-vpc", "connector"], v => Assert.Contains(v, choices.Select(c => c.Value)));
        Assert.All(choices, c => Assert.Contains($"{c.Value} {Collapse(c.Description)}", help, StringComparison.Ordinal));
    }

    private async Task<string> HelpAsync()
    {
        var result = await hive.RunDotnetNewAsync(TemplateHive.ShortName, "--help");
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("Template options:", result.StandardOutput, StringComparison.Ordinal);
        return result.StandardOutput;
    }

    // The help text wraps long lines at the console width: compare with all whitespace runs as one space.
    private static string Collapse(string text) => Whitespace().Replace(text, " ").Trim();

    [GeneratedRegex(@"^  (?<option>--[a-z0-9-]+)", RegexOptions.Multiline)]
    private static partial Regex TemplateOptionLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
