using System.Text.Json.Nodes;
using CloudRunSpace.Validation.Matrix;

namespace CloudRunSpace.Validation.Tests.Matrix;

/// <summary>The pack's project templates are found from their template.json alone and carried by composed spaces.</summary>
public sealed class CompositionTests : IDisposable
{
    private readonly TemporaryFolder _temp = new();

    private static TemplateOption Bool(string name) => new(name, name, "false", ["false", "true"]);

    [Fact]
    public void Every_project_template_folder_is_found_with_its_own_matrix_and_the_solution_template_is_not()
    {
        WriteTemplate("cloudrun-space", "solution", ("Frontend", Choice("razor", "blazor")));
        WriteTemplate("cloudrun-service", "project", ("Database", BoolSymbol()), ("Tests", BoolSymbol("true")), ("skipRestore", BoolSymbol()), ("Callers", Text()));
        WriteTemplate("cloudrun-job", "project", ("Database", BoolSymbol()));
        Directory.CreateDirectory(Path.Combine(_temp.Path, "not-a-template"));

        var templates = Composition.ProjectTemplates(_temp.Path);

        Assert.Equal(["cloudrun-job", "cloudrun-service"], templates.Select(t => t.ShortName));
        var service = templates[1].Matrix;
        Assert.Equal(["database", "tests"], service.Options.Select(o => o.LongName));
        Assert.Equal(4, service.Variants.Count);
        Assert.Equal(["no-restore"], service.Excluded.Keys);
        Assert.Equal(2, templates[0].Matrix.Variants.Count);
    }

    [Fact]
    public void A_project_template_without_a_choice_or_bool_option_is_added_once_as_it_is()
    {
        WriteTemplate("cloudrun-worker", "project", ("Schedule", Text()));

        var template = Assert.Single(Composition.ProjectTemplates(_temp.Path));

        var only = Assert.Single(template.Matrix.Variants);
        Assert.Empty(only.Options);
    }

    [Fact]
    public void Composed_spaces_are_as_many_as_the_longest_matrix_and_every_variant_of_every_template_is_added_somewhere()
    {
        var space = AllPairs.Compute([Bool("native-aot"), Bool("tests"), Bool("blazor")]);
        var service = new Composition.ProjectTemplate("cloudrun-service", AllPairs.Compute([Bool("database"), Bool("tests")]));
        var job = new Composition.ProjectTemplate("cloudrun-job", AllPairs.Compute([Bool("database")]));

        var composed = Composition.Compose(space, [service, job]);

        Assert.Equal(4, composed.Count);
        Assert.Equal(["Acme.Grown", "Acme.Grown-2", "Acme.Grown-3", "Acme.Grown-4"], composed.Select(c => c.Name));
        Assert.Equal(space.Variants[0].Options, composed[0].Options);
        Assert.All(composed, c => Assert.Equal(["cloudrun-service", "cloudrun-job"], c.Additions.Select(a => a.ShortName)));
        foreach (var template in new[] { service, job })
        {
            foreach (var variant in template.Matrix.Variants)
            {
                Assert.Contains(composed, c => c.Additions.Any(a => a.ShortName == template.ShortName && Same(a.Options, variant.Options)));
            }
        }

        Assert.Equal("Service", composed[0].Additions[0].Name);
        Assert.Equal("Acme.Job-2", composed[1].Additions[1].Name);
        Assert.Equal(["--database", "true", "--tests", "false"], composed.Single(c => c.Additions[0].Options["database"] == "true" && c.Additions[0].Options["tests"] == "false").Additions[0].CliArguments);
    }

    [Fact]
    public void Without_project_templates_no_space_is_composed()
    {
        var space = AllPairs.Compute([Bool("tests")]);

        Assert.Empty(Composition.Compose(space, []));
    }

    [Fact]
    public void Variants_json_lists_what_each_composed_space_adds()
    {
        var space = AllPairs.Compute([Bool("tests")]);
        var composed = Composition.Compose(space, [new Composition.ProjectTemplate("cloudrun-job", AllPairs.Compute([Bool("database")]))]);
        var file = Path.Combine(_temp.Path, "variants.json");

        AllPairs.WriteJson(space with { Variants = [.. space.Variants, .. composed] }, file);

        var variants = JsonNode.Parse(File.ReadAllText(file))!["variants"]!.AsArray();
        Assert.Empty(variants[0]!["additions"]!.AsArray());
        var addition = variants[^1]!["additions"]![0]!;
        Assert.Equal("cloudrun-job", (string?)addition["template"]);
        Assert.Equal("Acme.Job-2", (string?)addition["name"]);
        Assert.Equal("true", (string?)addition["options"]!["database"]);
    }

    /// <inheritdoc />
    public void Dispose() => _temp.Dispose();

    private static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static JsonObject BoolSymbol(string defaultValue = "false") =>
        new() { ["type"] = "parameter", ["datatype"] = "bool", ["defaultValue"] = defaultValue };

    private static JsonObject Text() => new() { ["type"] = "parameter", ["datatype"] = "text", ["defaultValue"] = "x" };

    private static JsonObject Choice(params string[] values) => new()
    {
        ["type"] = "parameter", ["datatype"] = "choice", ["defaultValue"] = values[0],
        ["choices"] = new JsonArray([.. values.Select(v => (JsonNode)new JsonObject { ["choice"] = v })]),
    };

    // A template folder with template.json (shortName, tags.type, the symbols) and a dotnetcli.host.json naming each
    // option as dotnet new does: lower case with hyphens, skipRestore as no-restore.
    private void WriteTemplate(string shortName, string type, params (string Name, JsonObject Symbol)[] symbols)
    {
        var config = Path.Combine(_temp.Path, shortName, ".template.config");
        Directory.CreateDirectory(config);
        var template = new JsonObject
        {
            ["shortName"] = shortName,
            ["tags"] = new JsonObject { ["type"] = type },
            ["symbols"] = new JsonObject(symbols.Select(s => KeyValuePair.Create(s.Name, (JsonNode?)s.Symbol))),
        };
        File.WriteAllText(Path.Combine(config, "template.json"), template.ToJsonString());
        var host = new JsonObject
        {
            ["symbolInfo"] = new JsonObject(symbols.Select(s => KeyValuePair.Create(s.Name,
                (JsonNode?)new JsonObject { ["longName"] = s.Name == "skipRestore" ? "no-restore" : s.Name.ToLowerInvariant() }))),
        };
        File.WriteAllText(Path.Combine(config, "dotnetcli.host.json"), host.ToJsonString());
    }
}
