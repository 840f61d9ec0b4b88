namespace CloudRunSpace.Validation.Matrix;

/// <summary>One choice or bool parameter of the template, as the matrix varies it.</summary>
/// <param name="Symbol">The template.json symbol, e.g. Frontend.</param>
/// <param name="LongName">Its dotnet new option name, e.g. frontend.</param>
/// <param name="DefaultValue">Its default value.</param>
/// <param name="Values">Every value, the default first.</param>
public sealed record TemplateOption(string Symbol, string LongName, string DefaultValue, IReadOnlyList<string> Values);

/// <summary>One generated solution of the matrix: a name and a value for every varied option.</summary>
/// <param name="Name">The <c>-n</c> value, e.g. Acme.Shop.</param>
/// <param name="Options">Option long name → value, in template.json order.</param>
public sealed record Variant(string Name, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The options as dotnet new arguments: --name value ….</summary>
    public IEnumerable<string> CliArguments => OptionArguments(Options);

    /// <summary>Options (long name → value) as dotnet new arguments: --name value ….</summary>
    /// <param name="options">The options.</param>
    public static IEnumerable<string> OptionArguments(IReadOnlyDictionary<string, string> options) =>
        options.SelectMany(o => new[] { "--" + o.Key, o.Value });

    /// <summary>What is added to the space after it is generated (a composition); empty for a space as generated.</summary>
    public IReadOnlyList<Addition> Additions { get; init; } = [];
}

/// <summary>A project template of the pack run at a generated space's root: <c>dotnet new SHORTNAME -n NAME --options</c>.</summary>
/// <param name="ShortName">The template's short name, e.g. cloudrun-service.</param>
/// <param name="Name">The <c>-n</c> value, e.g. Orders.</param>
/// <param name="Options">Option long name → value, in template.json order.</param>
public sealed record Addition(string ShortName, string Name, IReadOnlyDictionary<string, string> Options)
{
    /// <summary>The options as dotnet new arguments: --name value ….</summary>
    public IEnumerable<string> CliArguments => Variant.OptionArguments(Options);

    /// <summary>How the report and the logs name it, e.g. add-cloudrun-service.</summary>
    public string Stage => "add-" + ShortName;
}

/// <summary>The variants that cover every pair of option values, and what was left out of the pairing.</summary>
/// <param name="Options">The options varied.</param>
/// <param name="Variants">The variants, the all-defaults one first.</param>
/// <param name="Excluded">Options left out of the pairing (long name → why).</param>
/// <param name="PairsTotal">How many value pairs of two options there are (all covered).</param>
public sealed record VariantMatrix(
    IReadOnlyList<TemplateOption> Options, IReadOnlyList<Variant> Variants, IReadOnlyDictionary<string, string> Excluded, int PairsTotal);
