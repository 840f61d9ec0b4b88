using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>
/// Every option is described in template.json itself: Rider's New Project dialog reads template.json, not
/// the host files, and `dotnet new --help` prints these texts.
/// </summary>
public sealed class SymbolDescriptionTests
{
    private readonly TemplateConfig _config = TemplateConfig.Load();

    [Theory]
    [MemberData(nameof(TemplateConfig.AllTemplates), MemberType = typeof(TemplateConfig))]
    public void Every_parameter_has_a_display_name_and_a_description(string template)
    {
        var config = TemplateConfig.Load(template);
        Assert.NotEmpty(config.ParameterSymbols);
        var missing = config.ParameterSymbols
            .SelectMany(s => new[] { "displayName", "description" }
                .Where(p => string.IsNullOrWhiteSpace((string?)s.Value[p]))
                .Select(p => $"{s.Key}.{p}"))
            .ToList();

        Assert.True(missing.Count == 0, $"{template}: parameters without text: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(TemplateConfig.AllTemplates), MemberType = typeof(TemplateConfig))]
    public void Every_symbol_but_the_computed_ones_has_a_description(string template)
    {
        // Derived, bound and generated symbols show in no dialog, but their description is what says what they are for.
        var missing = TemplateConfig.Load(template).Symbols
            .Where(s => (string?)s.Value["type"] is not "computed" and not "bind" || s.Key == "OS")
            .Where(s => string.IsNullOrWhiteSpace((string?)s.Value["description"]))
            .Select(s => s.Key)
            .ToList();

        Assert.True(missing.Count == 0, $"{template}: symbols without a description: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_choice_has_a_description()
    {
        var choiceParameters = _config.ParameterSymbols.Where(s => (string?)s.Value["datatype"] == "choice").ToList();
        Assert.NotEmpty(choiceParameters);

        var missing = choiceParameters
            .SelectMany(s => (s.Value["choices"]?.AsArray() ?? [])
                .Where(c => string.IsNullOrWhiteSpace((string?)c?["description"]))
                .Select(c => $"{s.Key}={(string?)c?["choice"]}"))
            .ToList();

        Assert.True(missing.Count == 0, $"Choices without a description: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_choice_parameter_offers_two_or_more_choices_and_defaults_to_one_of_them()
    {
        foreach (var (name, symbol) in _config.ParameterSymbols.Where(s => (string?)s.Value["datatype"] == "choice"))
        {
            var choices = (symbol["choices"]?.AsArray() ?? []).Select(c => (string?)c?["choice"]).ToList();
            Assert.True(choices.Count >= 2, $"{name} offers {choices.Count} choice(s).");
            Assert.Contains((string?)symbol["defaultValue"], choices);
        }
    }
}
