using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>template.json uses only property names the template engine reads (a typo is silently ignored by it).</summary>
public sealed class TemplateEngineVocabularyTests
{
    [Theory]
    [MemberData(nameof(TemplateConfig.AllTemplates), MemberType = typeof(TemplateConfig))]
    public void Template_json_uses_only_properties_the_engine_reads(string template)
    {
        var unknown = TemplateEngineVocabulary.FindUnknownProperties(TemplateConfig.Load(template).Template);

        Assert.True(unknown.Count == 0,
            $"templates/{template}/.template.config/template.json has properties the template engine ignores (typos?):{Environment.NewLine}" +
            string.Join(Environment.NewLine, unknown));
    }

    [Fact]
    public void The_check_reports_misspelt_names_at_every_level()
    {
        // Proves the check above is not vacuous: the same misspellings in the real file would fail it.
        var template = JsonNode.Parse("""
            {
              "identity": "X", "shortname2": "x",
              "symbols": {
                "Tests": { "type": "parameter", "datatype": "bool", "defualtValue": "true" },
                "Mode": { "type": "parameter", "datatype": "choice", "choices": [ { "choice": "a", "descripton": "A" } ] },
                "Slug": { "type": "derived", "valueSource": "name", "valueTransfrom": "lowerCase" },
                "Odd": { "type": "computd", "value": "true" }
              }
            }
            """)!.AsObject();

        var unknown = TemplateEngineVocabulary.FindUnknownProperties(template);

        Assert.Equal(
            [
                "top level: \"shortname2\"",
                "symbols.Tests: \"defualtValue\"",
                "symbols.Mode.choices[a]: \"descripton\"",
                "symbols.Slug: \"valueTransfrom\"",
                "symbols.Odd: unknown type \"computd\"",
            ],
            unknown);
    }
}
