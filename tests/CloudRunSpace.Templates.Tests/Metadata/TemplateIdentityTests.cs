using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>How the template is found and listed: short name, classifications, post actions.</summary>
public sealed class TemplateIdentityTests
{
    private readonly TemplateConfig _config = TemplateConfig.Load();

    [Fact]
    public void TheShortNameIsExactlyCloudrunSpace()
    {
        // The engine also accepts an array of short names; there must be exactly one either way.
        var shortNames = _config.Template["shortName"] switch
        {
            JsonArray array => array.Select(n => (string?)n).ToList(),
            JsonValue value => [(string?)value],
            _ => [],
        };

        Assert.Equal([TemplateHive.ShortName], shortNames);
    }

    [Fact]
    public void TheClassificationsNameTheCloudAndTheWeb()
    {
        var classifications = (_config.Template["classifications"] as JsonArray ?? []).Select(c => (string?)c).ToList();

        Assert.All(["Cloud", "Web", "Google Cloud", "Cloud Run"], expected => Assert.Contains(expected, classifications));
    }

    [Fact]
    public void EveryPostActionHasAUniqueId()
    {
        // Localization files address post actions by id; without one the engine reports LOC002 at install.
        var postActions = (_config.Template["postActions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        Assert.NotEmpty(postActions);

        var ids = postActions.Select(p => (string?)p["id"]).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrWhiteSpace(id), "A post action has no id."));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void TheSourceNameHasDistinctFileAndNamespaceForms()
    {
        // See TEMPLATE-FACTS.md: a sourceName whose file and namespace forms coincide breaks the generated
        // solution for names with hyphens; the hyphen forces the engine to keep them apart.
        Assert.Contains('-', _config.SourceName);
    }
}
