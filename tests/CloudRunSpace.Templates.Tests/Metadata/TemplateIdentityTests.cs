using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>How the template is found and listed: short name, classifications, post actions.</summary>
public sealed class TemplateIdentityTests
{
    private readonly TemplateConfig _config = TemplateConfig.Load();

    [Fact]
    public void The_short_name_is_exactly_cloudrun_space()
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
    public void The_classifications_name_the_cloud_and_the_web()
    {
        var classifications = (_config.Template["classifications"] as JsonArray ?? []).Select(c => (string?)c).ToList();

        Assert.All(["Cloud", "Web", "Google Cloud", "Cloud Run"], expected => Assert.Contains(expected, classifications));
    }

    [Fact]
    public void Every_post_action_has_a_unique_id()
    {
        // Localization files address post actions by id; without one the engine reports LOC002 at install.
        var postActions = (_config.Template["postActions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        Assert.NotEmpty(postActions);

        var ids = postActions.Select(p => (string?)p["id"]).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrWhiteSpace(id), "A post action has no id."));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_source_name_has_a_hyphen_so_its_file_and_namespace_forms_differ()
    {
        // See TEMPLATE-FACTS.md: a sourceName whose file and namespace forms coincide breaks the generated
        // solution for names with hyphens; the hyphen forces the engine to keep them apart.
        Assert.Contains('-', _config.SourceName);
    }
}
