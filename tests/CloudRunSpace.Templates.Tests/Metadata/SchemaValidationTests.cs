using CloudRunSpace.Templates.Tests.Infrastructure;
using NJsonSchema;
using NJsonSchema.Validation;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>The template's configuration files validate against the SchemaStore schemas in tests/schemas.</summary>
public sealed class SchemaValidationTests
{
    // Every config file of every template of the pack, beside the schema it must match.
    public static TheoryData<string, string, string> ConfigFiles
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var template in RepositoryPaths.TemplateNames)
            {
                foreach (var file in new[] { "template.json", "ide.host.json", "dotnetcli.host.json" })
                {
                    data.Add(template, file, file);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ConfigFiles))]
    public async Task Each_config_file_matches_its_schemastore_schema(string template, string configFile, string schemaFile)
    {
        var path = Path.Combine(RepositoryPaths.ConfigFolderOf(template), configFile);
        var schema = await JsonSchema.FromFileAsync(RepositoryPaths.Schema(schemaFile), TestContext.Current.CancellationToken);

        var errors = schema.Validate(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));

        Assert.True(errors.Count == 0, $"{path} does not match {schemaFile}:{Environment.NewLine}{Describe(errors)}");
    }

    [Fact]
    public async Task The_template_schema_rejects_a_wrong_document()
    {
        // Proves the schema is really applied: a symbol of an unknown type and a numeric name must fail it.
        var schema = await JsonSchema.FromFileAsync(RepositoryPaths.Schema("template.json"), TestContext.Current.CancellationToken);

        var errors = schema.Validate("""{ "identity": "X", "name": 42, "shortName": "x", "symbols": { "S": { "type": "variable" } } }""");

        Assert.NotEmpty(errors);
    }

    private static string Describe(IEnumerable<ValidationError> errors, string indent = "") =>
        string.Join(Environment.NewLine, errors.Select(e =>
            $"{indent}{e.Path}: {e.Kind} (line {e.LineNumber})" +
            (e is ChildSchemaValidationError child
                ? Environment.NewLine + Describe(child.Errors.SelectMany(c => c.Value), indent + "  ")
                : "")));
}
