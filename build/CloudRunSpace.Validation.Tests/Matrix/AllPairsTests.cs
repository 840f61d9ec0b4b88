using System.Text.Json.Nodes;
using CloudRunSpace.Validation.Matrix;

namespace CloudRunSpace.Validation.Tests.Matrix;

/// <summary>The all-pairs matrix: every pair of option values together in some variant, in few variants, from template.json alone.</summary>
public sealed class AllPairsTests(TemporaryFolder temp) : IClassFixture<TemporaryFolder>
{
    private static TemplateOption Bool(string name) => new(name, name, "false", ["false", "true"]);

    private static TemplateOption Choice(string name, params string[] values) => new(name, name, values[0], values);

    [Fact]
    public void Three_binary_options_need_four_variants()
    {
        var matrix = AllPairs.Compute([Bool("a"), Bool("b"), Bool("c")]);

        Assert.Equal(4, matrix.Variants.Count);
        Assert.Equal(12, matrix.PairsTotal);
        Assert.Empty(AllPairs.Problems(matrix));
    }

    [Fact]
    public void One_option_alone_still_gets_a_variant_for_each_value()
    {
        var matrix = AllPairs.Compute([Choice("x", "1", "2", "3")]);

        Assert.Equal(["1", "2", "3"], matrix.Variants.Select(v => v.Options["x"]));
        Assert.Equal(0, matrix.PairsTotal);
        Assert.Empty(AllPairs.Problems(matrix));
    }

    [Fact]
    public void Two_options_of_three_values_need_all_nine_combinations()
    {
        var matrix = AllPairs.Compute([Choice("x", "1", "2", "3"), Choice("y", "a", "b", "c")]);

        Assert.Equal(9, matrix.Variants.Count);
        Assert.Equal(9, matrix.Variants.Select(v => (v.Options["x"], v.Options["y"])).Distinct().Count());
    }

    [Fact]
    public void The_all_defaults_variant_comes_first_and_every_name_is_unique()
    {
        var matrix = AllPairs.Compute([Choice("frontend", "razor", "blazor"), Bool("aot"), Choice("db", "password", "iam")]);

        Assert.Equal(new Dictionary<string, string> { ["frontend"] = "razor", ["aot"] = "false", ["db"] = "password" }, matrix.Variants[0].Options);
        Assert.Equal("Acme.Shop", matrix.Variants[0].Name);
        Assert.Equal(matrix.Variants.Count, matrix.Variants.Select(v => v.Name).Distinct().Count());
    }

    [Fact]
    public void The_template_s_five_options_give_six_variants_covering_forty_pairs()
    {
        var matrix = AllPairs.FromTemplate(TemplateJson, CliHostJson);

        Assert.Equal(["frontend", "db-auth", "egress", "native-aot", "tests"], matrix.Options.Select(o => o.LongName));
        Assert.Equal(6, matrix.Variants.Count);
        Assert.Equal(40, matrix.PairsTotal);
        Assert.Empty(AllPairs.Problems(matrix));
        Assert.Equal(["region", "no-restore"], matrix.Excluded.Keys);
    }

    [Fact]
    public void Every_pair_of_the_template_s_option_values_is_in_some_variant()
    {
        var matrix = AllPairs.FromTemplate(TemplateJson, CliHostJson);

        foreach (var (first, second) in matrix.Options.SelectMany((a, i) => matrix.Options.Skip(i + 1).Select(b => (a, b))))
        {
            foreach (var (va, vb) in first.Values.SelectMany(va => second.Values.Select(vb => (va, vb))))
            {
                Assert.True(
                    matrix.Variants.Any(v => v.Options[first.LongName] == va && v.Options[second.LongName] == vb),
                    $"no variant has --{first.LongName} {va} with --{second.LongName} {vb}");
            }
        }
    }

    [Fact]
    public void A_new_option_value_is_covered_without_a_code_change()
    {
        var template = JsonNode.Parse(File.ReadAllText(TemplateJson))!;
        template["symbols"]!["Frontend"]!["choices"]!.AsArray().Add(new JsonObject { ["choice"] = "htmx", ["description"] = "a third frontend" });
        var changed = Path.Combine(temp.Path, "template.json");
        File.WriteAllText(changed, template.ToJsonString());

        var matrix = AllPairs.FromTemplate(changed, CliHostJson);

        Assert.Equal(["razor", "blazor", "htmx"], matrix.Options.Single(o => o.LongName == "frontend").Values);
        Assert.Equal(48, matrix.PairsTotal); // 40 + htmx with each of the 4 other options' 2 values
        Assert.Contains(matrix.Variants, v => v.Options["frontend"] == "htmx" && v.Options["native-aot"] == "true");
        Assert.Empty(AllPairs.Problems(matrix));
    }

    [Fact]
    public void Leaving_out_a_symbol_the_template_no_longer_has_fails_instead_of_dropping_an_option()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AllPairs.FromTemplate(TemplateJson, CliHostJson, new Dictionary<string, string> { ["Renamed"] = "gone" }));

        Assert.Contains("'Renamed'", error.Message);
    }

    [Fact]
    public void A_matrix_that_lost_a_variant_is_reported_with_the_pair_it_misses()
    {
        var full = AllPairs.Compute([Bool("a"), Bool("b"), Bool("c")]);
        var broken = full with { Variants = [.. full.Variants.Take(full.Variants.Count - 1)] };

        var problems = AllPairs.Problems(broken);

        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("no variant has --", p));
    }

    [Fact]
    public void Variants_json_lists_each_variant_s_options_and_what_was_left_out()
    {
        var matrix = AllPairs.FromTemplate(TemplateJson, CliHostJson);
        var file = Path.Combine(temp.Path, "out", "variants.json");

        AllPairs.WriteJson(matrix, file);

        var json = JsonNode.Parse(File.ReadAllText(file))!;
        Assert.Equal(6, json["variants"]!.AsArray().Count);
        Assert.Equal("razor", (string?)json["variants"]![0]!["options"]!["frontend"]);
        Assert.NotNull(json["excluded"]!["region"]);
    }

    private static string TemplateConfig => Path.Combine(RepositoryRoot(), "templates", "cloudrun-space", ".template.config");

    private static string TemplateJson => Path.Combine(TemplateConfig, "template.json");

    private static string CliHostJson => Path.Combine(TemplateConfig, "dotnetcli.host.json");


    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "CloudRunSpaceTemplates.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no CloudRunSpaceTemplates.sln above {AppContext.BaseDirectory}");
    }
}
