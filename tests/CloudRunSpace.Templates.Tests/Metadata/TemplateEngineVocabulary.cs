using System.Text.Json.Nodes;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>
/// The template.json property names the template engine (SDK 10) reads, taken from its config model
/// (TemplateConfigModel and the symbol classes). The SchemaStore schema allows unknown properties, so a
/// misspelt one ("defualtValue", "shortname2") passes it and is silently ignored by the engine: this list
/// catches it. The engine matches names case-insensitively, and so does this check.
/// </summary>
public static class TemplateEngineVocabulary
{
    /// <summary>Top-level template.json properties.</summary>
    public static readonly IReadOnlySet<string> TopLevel = Set(
        "$schema", "author", "baselines", "classifications", "constraints", "defaultName", "description", "forms",
        "generatorVersions", "globalCustomOperations", "groupIdentity", "guids", "identity", "name",
        "placeholderFilename", "postActions", "precedence", "preferDefaultName", "preferNameDirectory",
        "primaryOutputs", "shortName", "sourceName", "sources", "specialCustomOperations", "symbols", "tags",
        "thirdPartyNotices");

    // "description" is read by the engine only for parameters; the schema allows it on every symbol and
    // it documents derived/computed symbols for the next author, so it is accepted everywhere.
    private static readonly string[] EverySymbol = ["type", "description"];
    private static readonly string[] Replacing = ["replaces", "fileRename", "onlyIf"];
    private static readonly string[] Valued = ["datatype", "defaultValue", "isRequired", "forms"];

    /// <summary>Symbol properties by symbol <c>type</c>.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> SymbolByType =
        new Dictionary<string, IReadOnlySet<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["parameter"] = Set([.. EverySymbol, .. Replacing, .. Valued,
                "displayName", "choices", "defaultIfOptionWithoutValue", "allowMultipleValues",
                "enableQuotelessLiterals", "isEnabled", "tagName"]),
            ["derived"] = Set([.. EverySymbol, .. Replacing, .. Valued, "valueSource", "valueTransform"]),
            ["computed"] = Set([.. EverySymbol, "value", "evaluator"]),
            ["bind"] = Set([.. EverySymbol, .. Replacing, "binding", "defaultValue", "datatype"]),
            ["generated"] = Set([.. EverySymbol, .. Replacing, "generator", "parameters", "datatype"]),
        };

    /// <summary>Properties of one entry of a choice parameter's <c>choices</c>.</summary>
    public static readonly IReadOnlySet<string> Choice = Set("choice", "displayName", "description");

    /// <summary>Lists every property name in <paramref name="template"/> that the engine does not read.</summary>
    /// <param name="template">A parsed template.json.</param>
    /// <returns>One readable line per unknown name, e.g. <c>symbols.Tests: "defualtValue"</c>; empty when all are known.</returns>
    public static IReadOnlyList<string> FindUnknownProperties(JsonObject template)
    {
        var problems = new List<string>();
        problems.AddRange(template.Select(p => p.Key).Where(k => !TopLevel.Contains(k)).Select(k => $"top level: \"{k}\""));

        foreach (var (name, node) in template["symbols"] as JsonObject ?? [])
        {
            if (node is not JsonObject symbol)
            {
                problems.Add($"symbols.{name}: not an object");
                continue;
            }

            var type = (string?)symbol["type"] ?? "";
            if (!SymbolByType.TryGetValue(type, out var known))
            {
                problems.Add($"symbols.{name}: unknown type \"{type}\"");
                continue;
            }

            problems.AddRange(symbol.Select(p => p.Key).Where(k => !known.Contains(k)).Select(k => $"symbols.{name}: \"{k}\""));
            foreach (var choice in (symbol["choices"] as JsonArray ?? []).OfType<JsonObject>())
            {
                problems.AddRange(choice.Select(p => p.Key).Where(k => !Choice.Contains(k))
                    .Select(k => $"symbols.{name}.choices[{(string?)choice["choice"]}]: \"{k}\""));
            }
        }

        return problems;
    }

    private static IReadOnlySet<string> Set(params string[] names) => new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
}
