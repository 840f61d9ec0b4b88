// The validation matrix, computed from the template's own metadata (template.json + dotnetcli.host.json), so
// a new option or option value joins the matrix by itself. Greedy all-pairs: every pair of values of any two
// options appears together in at least one variant; the all-defaults variant comes first.
using System.Text.Json;
using System.Text.Json.Nodes;

public sealed class TemplateOption
{
    public string Symbol { get; init; } = "";
    public string LongName { get; init; } = "";
    public string DefaultValue { get; init; } = "";
    public IReadOnlyList<string> Values { get; init; } = Array.Empty<string>(); // default value first
}

public sealed class Variant
{
    public string Name { get; init; } = "";
    // CLI long name → value, in template.json order.
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public IEnumerable<string> CliArguments => Options.SelectMany(o => new[] { "--" + o.Key, o.Value });
}

public sealed class VariantMatrix
{
    public IReadOnlyList<TemplateOption> Options { get; init; } = Array.Empty<TemplateOption>();
    public IReadOnlyList<Variant> Variants { get; init; } = Array.Empty<Variant>();
    public IReadOnlyDictionary<string, string> Excluded { get; init; } = new Dictionary<string, string>();
    public int PairsTotal { get; init; }
}

// Symbols left out of the pairing, each with the reason written to variants.json. The exclusion must name a
// symbol that still exists (checked below), so a rename cannot silently drop an option from the matrix.
static readonly IReadOnlyDictionary<string, string> SymbolsLeftOutOfPairing = new Dictionary<string, string>
{
    ["Region"] = "only replaces a text value (us-central1) in deploy/env files; no code path or file set depends on it",
    ["skipRestore"] = "a tooling switch of dotnet new, not a property of the generated space; validation always passes --no-restore and then restores explicitly",
};

// Project names with dots and hyphens, so the sourceName's file/namespace/resource forms are all exercised.
static string VariantName(int index) => index switch
{
    0 => "Acme.Shop",
    1 => "My.Cloud-App",
    _ => $"Acme.Space-{index}",
};

static string JsonScalar(JsonNode node) => node switch
{
    null => "",
    JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
    _ => node.GetValue<string>().Trim(),
};

IReadOnlyList<TemplateOption> ReadPairedOptions(FilePath templateJson, FilePath cliHostJson, out Dictionary<string, string> excluded)
{
    var template = JsonNode.Parse(System.IO.File.ReadAllText(templateJson.FullPath))
        ?? throw new CakeException($"{templateJson} is empty");
    var host = JsonNode.Parse(System.IO.File.ReadAllText(cliHostJson.FullPath))
        ?? throw new CakeException($"{cliHostJson} is empty");
    var symbols = template["symbols"]?.AsObject() ?? throw new CakeException($"{templateJson} has no symbols");

    string LongName(string symbol) =>
        host["symbolInfo"]?[symbol]?["longName"]?.GetValue<string>() ?? symbol; // dotnet new's own fallback

    foreach (var name in SymbolsLeftOutOfPairing.Keys.Where(n => !symbols.ContainsKey(n)))
        throw new CakeException($"build/variants.cake leaves out symbol '{name}', which template.json no longer has: update the exclusion list");

    excluded = new Dictionary<string, string>();
    var options = new List<TemplateOption>();
    foreach (var (symbol, node) in symbols)
    {
        if (node?["type"]?.GetValue<string>() != "parameter") continue;
        var datatype = node["datatype"]?.GetValue<string>()?.ToLowerInvariant();
        if (datatype is not ("choice" or "bool" or "boolean")) continue;
        if (SymbolsLeftOutOfPairing.TryGetValue(symbol, out var why))
        {
            excluded[LongName(symbol)] = why;
            continue;
        }

        var defaultValue = JsonScalar(node["defaultValue"]);
        var values = datatype == "choice"
            ? node["choices"]!.AsArray().Select(c => c!["choice"]!.GetValue<string>()).ToList()
            : new List<string> { "true", "false" };
        if (datatype != "choice" && defaultValue == "") defaultValue = "false"; // the engine's default for a bool
        if (!values.Contains(defaultValue))
            throw new CakeException($"template.json: symbol {symbol}'s default '{defaultValue}' is not one of its values ({string.Join(", ", values)})");
        values.Remove(defaultValue);
        values.Insert(0, defaultValue);
        options.Add(new TemplateOption { Symbol = symbol, LongName = LongName(symbol), DefaultValue = defaultValue, Values = values });
    }
    if (options.Count == 0) throw new CakeException("template.json has no choice or bool parameters to vary");
    return options;
}

// Every unordered pair of (option, value) assignments between two different options, as keys.
static IEnumerable<string> AllPairs(IReadOnlyList<TemplateOption> options)
{
    for (var a = 0; a < options.Count; a++)
        for (var b = a + 1; b < options.Count; b++)
            foreach (var va in options[a].Values)
                foreach (var vb in options[b].Values)
                    yield return PairKey(a, va, b, vb);
}

static string PairKey(int a, string va, int b, string vb) => $"{a}={va}|{b}={vb}";

static IEnumerable<string> PairsOf(IReadOnlyList<string> combination)
{
    for (var a = 0; a < combination.Count; a++)
        for (var b = a + 1; b < combination.Count; b++)
            yield return PairKey(a, combination[a], b, combination[b]);
}

// Every full combination of option values (the cartesian product), default values first.
static IEnumerable<IReadOnlyList<string>> Combinations(IReadOnlyList<TemplateOption> options)
{
    IEnumerable<IReadOnlyList<string>> partial = new[] { (IReadOnlyList<string>)Array.Empty<string>() };
    foreach (var option in options)
        partial = partial.SelectMany(p => option.Values.Select(v => (IReadOnlyList<string>)p.Append(v).ToList())).ToList();
    return partial;
}

VariantMatrix ComputeVariantMatrix(FilePath templateJson, FilePath cliHostJson)
{
    var options = ReadPairedOptions(templateJson, cliHostJson, out var excluded);
    var productSize = options.Aggregate(1L, (n, o) => n * o.Values.Count);
    // The greedy search scores every combination each round; past this size it needs a smarter generator.
    if (productSize > 200_000)
        throw new CakeException($"{productSize} combinations of {options.Count} options: too many for the exhaustive greedy all-pairs search in build/variants.cake");

    var allPairs = AllPairs(options).ToList();
    var uncovered = new HashSet<string>(allPairs);
    var chosen = new List<IReadOnlyList<string>> { options.Select(o => o.DefaultValue).ToList() };
    uncovered.ExceptWith(PairsOf(chosen[0]));
    var candidates = Combinations(options).ToList();
    while (uncovered.Count > 0)
    {
        // Ties go to the earliest combination, so the matrix is the same on every run.
        var best = candidates.Select(c => (Combination: c, Gain: PairsOf(c).Count(uncovered.Contains)))
            .Aggregate((x, y) => y.Gain > x.Gain ? y : x);
        if (best.Gain == 0) throw new CakeException("all-pairs search made no progress (internal error)");
        chosen.Add(best.Combination);
        uncovered.ExceptWith(PairsOf(best.Combination));
    }

    var variants = chosen.Select((combination, i) => new Variant
    {
        Name = VariantName(i),
        Options = options.Select((o, k) => (o.LongName, Value: combination[k])).ToDictionary(x => x.LongName, x => x.Value),
    }).ToList();
    return new VariantMatrix { Options = options, Variants = variants, Excluded = excluded, PairsTotal = allPairs.Count };
}

// Checks the chosen set independently of the search's own bookkeeping: defaults first, every value of every
// option present, every pair of values of two options together in some variant, names unique.
void AssertMatrixCoversAllPairs(VariantMatrix matrix)
{
    var problems = new List<string>();
    var variants = matrix.Variants;
    if (variants.Count == 0) problems.Add("no variants");
    else
        foreach (var o in matrix.Options.Where(o => variants[0].Options[o.LongName] != o.DefaultValue))
            problems.Add($"first variant has --{o.LongName} {variants[0].Options[o.LongName]}, not the default {o.DefaultValue}");

    foreach (var o in matrix.Options)
        foreach (var v in o.Values.Where(v => !variants.Any(x => x.Options[o.LongName] == v)))
            problems.Add($"no variant has --{o.LongName} {v}");

    var checkedPairs = 0;
    foreach (var a in matrix.Options)
        foreach (var b in matrix.Options.SkipWhile(o => o != a).Skip(1))
            foreach (var va in a.Values)
                foreach (var vb in b.Values)
                {
                    checkedPairs++;
                    if (!variants.Any(x => x.Options[a.LongName] == va && x.Options[b.LongName] == vb))
                        problems.Add($"no variant has --{a.LongName} {va} together with --{b.LongName} {vb}");
                }
    if (checkedPairs != matrix.PairsTotal) problems.Add($"checked {checkedPairs} pairs, expected {matrix.PairsTotal}");

    foreach (var name in variants.GroupBy(v => v.Name).Where(g => g.Count() > 1).Select(g => g.Key))
        problems.Add($"variant name {name} is used twice");

    if (problems.Count > 0)
        throw new CakeException("The variant matrix is incomplete:\n  " + string.Join("\n  ", problems));
}

void WriteVariantsJson(VariantMatrix matrix, FilePath file)
{
    var document = new JsonObject
    {
        ["variants"] = new JsonArray(matrix.Variants.Select(v => (JsonNode)new JsonObject
        {
            ["name"] = v.Name,
            ["options"] = new JsonObject(v.Options.Select(o => KeyValuePair.Create(o.Key, (JsonNode)JsonValue.Create(o.Value)))),
        }).ToArray()),
        ["excluded"] = new JsonObject(matrix.Excluded.Select(e => KeyValuePair.Create(e.Key, (JsonNode)JsonValue.Create(e.Value)))),
    };
    EnsureDirectoryExists(file.GetDirectory());
    System.IO.File.WriteAllText(file.FullPath, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
