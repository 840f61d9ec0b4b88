using System.Text.Json;
using System.Text.Json.Nodes;

namespace CloudRunSpace.Validation.Matrix;

/// <summary>
/// The validation matrix, computed from the template's own metadata (template.json + dotnetcli.host.json), so a new
/// option or option value joins the matrix by itself. Greedy all-pairs: every pair of values of any two options
/// appears together in at least one variant; the all-defaults variant comes first; ties go to the earliest
/// combination, so the matrix is the same on every run.
/// </summary>
public static class AllPairs
{
    // The greedy search scores every combination each round; past this size it needs a smarter generator.
    private const long MaxCombinations = 200_000;

    /// <summary>
    /// Symbols of this repository's template left out of the pairing, each with the reason written to variants.json.
    /// An exclusion must name a symbol that still exists, so a rename cannot silently drop an option from the matrix.
    /// </summary>
    public static IReadOnlyDictionary<string, string> SymbolsLeftOutOfPairing { get; } = new Dictionary<string, string>
    {
        ["Region"] = "only replaces a text value (us-central1) in deploy/env files; no code path or file set depends on it",
        ["skipRestore"] = "a tooling switch of dotnet new, not a property of the generated space; validation always passes --no-restore and then restores explicitly",
    };

    /// <summary>Project names with dots and hyphens, so the sourceName's file/namespace/resource forms are all exercised.</summary>
    /// <param name="index">The variant's place in the matrix.</param>
    public static string VariantName(int index) => index switch
    {
        0 => "Acme.Shop",
        1 => "My.Cloud-App",
        _ => $"Acme.Space-{index}",
    };

    /// <summary>Reads the template's options and computes the matrix.</summary>
    /// <param name="templateJson">The template.json path.</param>
    /// <param name="cliHostJson">The dotnetcli.host.json path.</param>
    /// <param name="leftOut">Symbols to leave out (symbol → why); <see cref="SymbolsLeftOutOfPairing"/> when null.</param>
    /// <exception cref="InvalidOperationException">The metadata cannot be read into a matrix.</exception>
    public static VariantMatrix FromTemplate(string templateJson, string cliHostJson, IReadOnlyDictionary<string, string>? leftOut = null)
    {
        var options = ReadOptions(templateJson, cliHostJson, leftOut ?? SymbolsLeftOutOfPairing, out var excluded);
        return Compute(options, excluded);
    }

    /// <summary>Reads the choice and bool parameters of a template, the default value of each first.</summary>
    /// <param name="templateJson">The template.json path.</param>
    /// <param name="cliHostJson">The dotnetcli.host.json path.</param>
    /// <param name="leftOut">Symbols to leave out (symbol → why).</param>
    /// <param name="excluded">The options left out (long name → why).</param>
    /// <param name="requireOptions">Whether a template without a choice or bool parameter is an error (the solution template's matrix).</param>
    public static IReadOnlyList<TemplateOption> ReadOptions(
        string templateJson, string cliHostJson, IReadOnlyDictionary<string, string> leftOut, out Dictionary<string, string> excluded,
        bool requireOptions = true)
    {
        var template = JsonNode.Parse(File.ReadAllText(templateJson)) ?? throw new InvalidOperationException($"{templateJson} is empty");
        var host = JsonNode.Parse(File.ReadAllText(cliHostJson)) ?? throw new InvalidOperationException($"{cliHostJson} is empty");
        var symbols = template["symbols"]?.AsObject() ?? throw new InvalidOperationException($"{templateJson} has no symbols");

        string LongName(string symbol) => host["symbolInfo"]?[symbol]?["longName"]?.GetValue<string>() ?? symbol; // dotnet new's own fallback

        var gone = leftOut.Keys.Where(n => !symbols.ContainsKey(n)).ToList();
        if (gone.Count > 0)
        {
            throw new InvalidOperationException($"the matrix leaves out symbol '{gone[0]}', which template.json no longer has: update the exclusion list");
        }

        excluded = [];
        var options = new List<TemplateOption>();
        foreach (var (symbol, node) in symbols)
        {
            var datatype = node?["datatype"]?.GetValue<string>()?.ToLowerInvariant();
            if (node?["type"]?.GetValue<string>() != "parameter" || datatype is not ("choice" or "bool" or "boolean"))
            {
                continue;
            }

            if (leftOut.TryGetValue(symbol, out var why))
            {
                excluded[LongName(symbol)] = why;
                continue;
            }

            var defaultValue = Scalar(node["defaultValue"]);
            var values = datatype == "choice"
                ? node["choices"]!.AsArray().Select(c => c!["choice"]!.GetValue<string>()).ToList()
                : ["true", "false"];
            if (datatype != "choice" && defaultValue == "")
            {
                defaultValue = "false"; // the engine's default for a bool
            }

            if (!values.Remove(defaultValue))
            {
                throw new InvalidOperationException($"template.json: symbol {symbol}'s default '{defaultValue}' is not one of its values ({string.Join(", ", values)})");
            }

            values.Insert(0, defaultValue);
            options.Add(new TemplateOption(symbol, LongName(symbol), defaultValue, values));
        }

        return options.Count > 0 || !requireOptions ? options : throw new InvalidOperationException("template.json has no choice or bool parameters to vary");
    }

    /// <summary>The variants covering every pair of values of two options, the all-defaults one first.</summary>
    /// <param name="options">The options (each with its default value first).</param>
    /// <param name="excluded">Options left out, for the record.</param>
    public static VariantMatrix Compute(IReadOnlyList<TemplateOption> options, IReadOnlyDictionary<string, string>? excluded = null)
    {
        var productSize = options.Aggregate(1L, (n, o) => n * o.Values.Count);
        if (productSize > MaxCombinations)
        {
            throw new InvalidOperationException($"{productSize} combinations of {options.Count} options: too many for the exhaustive greedy all-pairs search");
        }

        var allPairs = Pairs(options).ToList();
        var uncovered = new HashSet<string>(allPairs);
        var chosen = new List<IReadOnlyList<string>> { options.Select(o => o.DefaultValue).ToList() };
        uncovered.ExceptWith(PairsOf(chosen[0]));
        var candidates = Combinations(options).ToList();
        while (uncovered.Count > 0)
        {
            var best = candidates.Select(c => (Combination: c, Gain: PairsOf(c).Count(uncovered.Contains)))
                .Aggregate((x, y) => y.Gain > x.Gain ? y : x);
            chosen.Add(best.Combination);
            uncovered.ExceptWith(PairsOf(best.Combination));
        }

        // A lone option has no pairs, yet each of its values needs a variant (with two or more, the pairs hold every value).
        if (options.Count == 1)
        {
            chosen.AddRange(options[0].Values.Skip(1).Select(v => (IReadOnlyList<string>)[v]));
        }

        var variants = chosen.Select((combination, i) => new Variant(
            VariantName(i),
            options.Select((o, k) => (o.LongName, Value: combination[k])).ToDictionary(x => x.LongName, x => x.Value))).ToList();
        return new VariantMatrix(options, variants, excluded ?? new Dictionary<string, string>(), allPairs.Count);
    }

    /// <summary>
    /// What is wrong with a matrix, checked independently of the search's own bookkeeping: defaults first, every value
    /// of every option present, every pair of values of two options together in some variant, names unique.
    /// </summary>
    /// <param name="matrix">The matrix.</param>
    /// <returns>One line per problem; empty when it is complete.</returns>
    public static IReadOnlyList<string> Problems(VariantMatrix matrix)
    {
        var problems = new List<string>();
        var variants = matrix.Variants;
        if (variants.Count == 0)
        {
            return ["no variants"];
        }

        problems.AddRange(matrix.Options.Where(o => variants[0].Options[o.LongName] != o.DefaultValue)
            .Select(o => $"first variant has --{o.LongName} {variants[0].Options[o.LongName]}, not the default {o.DefaultValue}"));
        var checkedPairs = 0;
        for (var a = 0; a < matrix.Options.Count; a++)
        {
            var first = matrix.Options[a];
            problems.AddRange(first.Values.Where(v => !variants.Any(x => x.Options[first.LongName] == v)).Select(v => $"no variant has --{first.LongName} {v}"));
            foreach (var second in matrix.Options.Skip(a + 1))
            {
                foreach (var (va, vb) in first.Values.SelectMany(va => second.Values.Select(vb => (va, vb))))
                {
                    checkedPairs++;
                    if (!variants.Any(x => x.Options[first.LongName] == va && x.Options[second.LongName] == vb))
                    {
                        problems.Add($"no variant has --{first.LongName} {va} together with --{second.LongName} {vb}");
                    }
                }
            }
        }

        if (checkedPairs != matrix.PairsTotal)
        {
            problems.Add($"checked {checkedPairs} pairs, expected {matrix.PairsTotal}");
        }

        problems.AddRange(variants.GroupBy(v => v.Name).Where(g => g.Count() > 1).Select(g => $"variant name {g.Key} is used twice"));
        return problems;
    }

    /// <summary>Writes variants.json: each variant's name and options, and what was left out.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="file">The file (its folder is created).</param>
    public static void WriteJson(VariantMatrix matrix, string file)
    {
        var document = new JsonObject
        {
            ["variants"] = new JsonArray([.. matrix.Variants.Select(v => (JsonNode)new JsonObject
            {
                ["name"] = v.Name,
                ["options"] = OptionsJson(v.Options),
                ["additions"] = new JsonArray([.. v.Additions.Select(a => (JsonNode)new JsonObject
                {
                    ["template"] = a.ShortName,
                    ["name"] = a.Name,
                    ["options"] = OptionsJson(a.Options),
                })]),
            })]),
            ["excluded"] = new JsonObject(matrix.Excluded.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)JsonValue.Create(e.Value)))),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        File.WriteAllText(file, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static JsonObject OptionsJson(IReadOnlyDictionary<string, string> options) =>
        new(options.Select(o => KeyValuePair.Create(o.Key, (JsonNode?)JsonValue.Create(o.Value))));

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        _ => node.GetValue<string>().Trim(),
    };

    // Every unordered pair of (option, value) assignments between two different options, as keys.
    private static IEnumerable<string> Pairs(IReadOnlyList<TemplateOption> options)
    {
        for (var a = 0; a < options.Count; a++)
        {
            for (var b = a + 1; b < options.Count; b++)
            {
                foreach (var pair in options[a].Values.SelectMany(va => options[b].Values.Select(vb => PairKey(a, va, b, vb))))
                {
                    yield return pair;
                }
            }
        }
    }

    private static string PairKey(int a, string va, int b, string vb) => $"{a}={va}|{b}={vb}";

    private static IEnumerable<string> PairsOf(IReadOnlyList<string> combination)
    {
        for (var a = 0; a < combination.Count; a++)
        {
            for (var b = a + 1; b < combination.Count; b++)
            {
                yield return PairKey(a, combination[a], b, combination[b]);
            }
        }
    }

    // Every full combination of option values (the cartesian product), default values first.
    private static List<IReadOnlyList<string>> Combinations(IReadOnlyList<TemplateOption> options)
    {
        IEnumerable<IReadOnlyList<string>> partial = [Array.Empty<string>()];
        foreach (var option in options)
        {
            partial = partial.SelectMany(p => option.Values.Select(v => (IReadOnlyList<string>)[.. p, v])).ToList();
        }

        return [.. partial];
    }
}
