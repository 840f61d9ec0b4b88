using System.Text.Json;
using System.Text.Json.Nodes;

namespace CloudRunSpace.Templates.Tests.Infrastructure;

/// <summary>
/// The solution template's configuration files as read from the repository: template.json,
/// dotnetcli.host.json and ide.host.json in <c>templates/cloudrun-space/.template.config</c>.
/// </summary>
public sealed class TemplateConfig
{
    /// <summary>The options the template engine reads JSON with: it tolerates comments and trailing commas.</summary>
    public static readonly JsonDocumentOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private TemplateConfig(JsonObject template, JsonObject cliHost, JsonObject ideHost)
    {
        Template = template;
        CliHost = cliHost;
        IdeHost = ideHost;
    }

    /// <summary>Path of template.json.</summary>
    public static string TemplateJsonPath => Path.Combine(RepositoryPaths.TemplateConfigFolder, "template.json");

    /// <summary>Path of dotnetcli.host.json.</summary>
    public static string CliHostJsonPath => Path.Combine(RepositoryPaths.TemplateConfigFolder, "dotnetcli.host.json");

    /// <summary>Path of ide.host.json.</summary>
    public static string IdeHostJsonPath => Path.Combine(RepositoryPaths.TemplateConfigFolder, "ide.host.json");

    /// <summary>template.json.</summary>
    public JsonObject Template { get; }

    /// <summary>dotnetcli.host.json.</summary>
    public JsonObject CliHost { get; }

    /// <summary>ide.host.json.</summary>
    public JsonObject IdeHost { get; }

    /// <summary>template.json's <c>sourceName</c>: the text replaced by the user's <c>-n</c> value.</summary>
    public string SourceName => (string?)Template["sourceName"] ?? throw new InvalidDataException("template.json has no sourceName.");

    /// <summary>Every symbol in template.json, by name.</summary>
    public IReadOnlyDictionary<string, JsonObject> Symbols =>
        (Template["symbols"] as JsonObject ?? [])
            .Where(p => p.Value is JsonObject)
            .ToDictionary(p => p.Key, p => (JsonObject)p.Value!, StringComparer.Ordinal);

    /// <summary>The symbols of type <c>parameter</c>: the ones a user sets.</summary>
    public IReadOnlyDictionary<string, JsonObject> ParameterSymbols =>
        Symbols.Where(s => (string?)s.Value["type"] == "parameter").ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);

    /// <summary>Every template of the pack by name (see <see cref="RepositoryPaths.TemplateNames"/>), as test data.</summary>
    public static TheoryData<string> AllTemplates => new(RepositoryPaths.TemplateNames);

    /// <summary>Reads the three files of the template <paramref name="templateName"/> (a folder under templates/).</summary>
    public static TemplateConfig Load(string templateName)
    {
        var folder = RepositoryPaths.ConfigFolderOf(templateName);
        return new(ReadObject(Path.Combine(folder, "template.json")), ReadObject(Path.Combine(folder, "dotnetcli.host.json")),
            ReadObject(Path.Combine(folder, "ide.host.json")));
    }

    /// <summary>Reads the three files of the space template from the repository.</summary>
    public static TemplateConfig Load() =>
        new(ReadObject(TemplateJsonPath), ReadObject(CliHostJsonPath), ReadObject(IdeHostJsonPath));

    /// <summary>Parses a JSON file that must hold one object, the way the template engine accepts it.</summary>
    /// <param name="path">The file to read.</param>
    public static JsonObject ReadObject(string path) =>
        JsonNode.Parse(File.ReadAllText(path), documentOptions: JsonOptions) as JsonObject
        ?? throw new InvalidDataException($"{path} does not hold a JSON object.");
}
