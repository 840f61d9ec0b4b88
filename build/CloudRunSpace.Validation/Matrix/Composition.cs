using System.Text.Json.Nodes;

namespace CloudRunSpace.Validation.Matrix;

/// <summary>
/// The pack's templates and the spaces that grow: every project template of the pack (each template folder under
/// templates/ whose template.json is not the solution template's) gets its own all-pairs matrix from its own
/// template.json, and composed spaces carry those variants: the i-th composed space is the space's i-th variant with
/// the i-th variant of every project template added at its root (each list repeated from its start when shorter), so
/// every value pair of every template is built, tested and started inside a space. A new template joins by itself.
/// </summary>
public static class Composition
{
    /// <summary>Symbols of a project template left out of its pairing, where it has them.</summary>
    public static IReadOnlyDictionary<string, string> SymbolsLeftOutOfPairing { get; } = new Dictionary<string, string>
    {
        ["skipRestore"] = "a tooling switch of dotnet new; validation always passes --no-restore and then restores explicitly",
    };

    /// <summary>A project template of the pack and its own matrix.</summary>
    /// <param name="ShortName">Its short name, e.g. cloudrun-service.</param>
    /// <param name="Matrix">Its all-pairs matrix (variant names unused: see <see cref="AdditionName"/>).</param>
    public sealed record ProjectTemplate(string ShortName, VariantMatrix Matrix);

    /// <summary>The name a composed space gets: Acme.Grown, then Acme.Grown-2, … (a dot and a hyphen, as in the space's variants).</summary>
    /// <param name="index">The composed space's place.</param>
    public static string SpaceName(int index) => index == 0 ? "Acme.Grown" : $"Acme.Grown-{index + 1}";

    /// <summary>
    /// The <c>-n</c> of an added project: the template's kind (its short name after "cloudrun-") in Pascal case, with a
    /// dotted and hyphened form from the second composed space on (Service, Billing.Service-2, …), so the entry's DNS
    /// name form is exercised too.
    /// </summary>
    /// <param name="shortName">The template's short name.</param>
    /// <param name="index">The composed space's place.</param>
    public static string AdditionName(string shortName, int index)
    {
        var kind = shortName.StartsWith("cloudrun-", StringComparison.Ordinal) ? shortName["cloudrun-".Length..] : shortName;
        var pascal = string.Concat(kind.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        return index == 0 ? pascal : $"Acme.{pascal}-{index + 1}";
    }

    /// <summary>
    /// Finds the pack's project templates: every folder under <paramref name="templatesFolder"/> with a
    /// .template.config/template.json whose <c>tags.type</c> is <c>project</c>, in folder-name order.
    /// </summary>
    /// <param name="templatesFolder">The repository's templates/ folder.</param>
    public static IReadOnlyList<ProjectTemplate> ProjectTemplates(string templatesFolder)
    {
        var templates = new List<ProjectTemplate>();
        foreach (var folder in Directory.GetDirectories(templatesFolder).Order(StringComparer.Ordinal))
        {
            var config = Path.Combine(folder, ".template.config");
            var templateJson = Path.Combine(config, "template.json");
            if (!File.Exists(templateJson))
            {
                continue;
            }

            var template = JsonNode.Parse(File.ReadAllText(templateJson)) ?? throw new InvalidOperationException($"{templateJson} is empty");
            if (template["tags"]?["type"]?.GetValue<string>() != "project")
            {
                continue;
            }

            var shortName = template["shortName"]?.GetValue<string>() ?? throw new InvalidOperationException($"{templateJson} has no shortName");
            var symbols = template["symbols"]?.AsObject();
            var leftOut = SymbolsLeftOutOfPairing.Where(s => symbols?.ContainsKey(s.Key) == true).ToDictionary(s => s.Key, s => s.Value);
            var options = AllPairs.ReadOptions(templateJson, Path.Combine(config, "dotnetcli.host.json"), leftOut, out var excluded, requireOptions: false);
            templates.Add(new ProjectTemplate(shortName, AllPairs.Compute(options, excluded)));
        }

        return templates;
    }

    /// <summary>The composed spaces: as many as the longest project template's matrix has variants (none without project templates).</summary>
    /// <param name="space">The solution template's matrix.</param>
    /// <param name="projectTemplates">The pack's project templates.</param>
    public static IReadOnlyList<Variant> Compose(VariantMatrix space, IReadOnlyList<ProjectTemplate> projectTemplates)
    {
        var count = projectTemplates.Count == 0 ? 0 : projectTemplates.Max(t => t.Matrix.Variants.Count);
        return Enumerable.Range(0, count).Select(i => new Variant(SpaceName(i), space.Variants[i % space.Variants.Count].Options)
        {
            Additions = projectTemplates.Select(t =>
                new Addition(t.ShortName, AdditionName(t.ShortName, i), t.Matrix.Variants[i % t.Matrix.Variants.Count].Options)).ToList(),
        }).ToList();
    }
}
