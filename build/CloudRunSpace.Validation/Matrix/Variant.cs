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
    public IEnumerable<string> CliArguments => Options.SelectMany(o => new[] { "--" + o.Key, o.Value });
}

/// <summary>The variants that cover every pair of option values, and what was left out of the pairing.</summary>
/// <param name="Options">The options varied.</param>
/// <param name="Variants">The variants, the all-defaults one first.</param>
/// <param name="Excluded">Options left out of the pairing (long name → why).</param>
/// <param name="PairsTotal">How many value pairs of two options there are (all covered).</param>
public sealed record VariantMatrix(
    IReadOnlyList<TemplateOption> Options, IReadOnlyList<Variant> Variants, IReadOnlyDictionary<string, string> Excluded, int PairsTotal);
