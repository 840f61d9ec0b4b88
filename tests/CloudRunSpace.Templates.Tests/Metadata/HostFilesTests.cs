using System.Text.Json.Nodes;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Metadata;

/// <summary>dotnetcli.host.json and ide.host.json agree with template.json and give the agreed option names.</summary>
public sealed class HostFilesTests
{
    /// <summary>The command-line options the design promises, without the leading "--".</summary>
    public static readonly IReadOnlySet<string> PromisedOptions = new HashSet<string>(StringComparer.Ordinal)
    {
        "project-id", "region", "frontend", "db-auth", "egress", "native-aot", "tests", "no-restore",
    };

    // Restoring is the host's business (Visual Studio restores by itself), so the IDE dialog does not show it.
    private const string SkipRestoreSymbol = "skipRestore";

    private readonly TemplateConfig _config = TemplateConfig.Load();

    private IEnumerable<string> CliHostSymbols => (_config.CliHost["symbolInfo"] as JsonObject ?? []).Select(p => p.Key);

    private IEnumerable<JsonObject> IdeHostSymbols => (_config.IdeHost["symbolInfo"] as JsonArray ?? []).OfType<JsonObject>();

    [Fact]
    public void Every_symbol_dotnetcli_host_json_names_exists_in_template_json()
    {
        Assert.NotEmpty(CliHostSymbols);
        Assert.All(CliHostSymbols, s => Assert.True(_config.Symbols.ContainsKey(s), $"dotnetcli.host.json names unknown symbol \"{s}\"."));
    }

    [Fact]
    public void Every_symbol_ide_host_json_names_exists_in_template_json()
    {
        var ids = IdeHostSymbols.Select(s => (string?)s["id"] ?? "").ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.True(_config.Symbols.ContainsKey(id), $"ide.host.json names unknown symbol \"{id}\"."));
    }

    [Fact]
    public void Every_parameter_but_skip_restore_is_visible_in_the_ide_dialog()
    {
        var visibleByDefault = (bool?)_config.IdeHost["defaultSymbolVisibility"] ?? false;
        var visibility = IdeHostSymbols.ToDictionary(s => (string?)s["id"] ?? "", s => (bool?)s["isVisible"], StringComparer.Ordinal);

        var hidden = _config.ParameterSymbols.Keys
            .Where(name => name != SkipRestoreSymbol)
            .Where(name => !(visibility.TryGetValue(name, out var visible) ? visible ?? visibleByDefault : visibleByDefault))
            .ToList();

        Assert.True(hidden.Count == 0, $"Parameters the IDE dialog would not show: {string.Join(", ", hidden)}");
    }

    [Fact]
    public void The_command_line_options_are_exactly_the_promised_ones()
    {
        // Without a dotnetcli.host.json entry the CLI names an option after its symbol.
        var options = _config.ParameterSymbols.Keys
            .Select(name => (string?)_config.CliHost["symbolInfo"]?[name]?["longName"] ?? name)
            .ToHashSet(StringComparer.Ordinal);

        Assert.Equal(PromisedOptions.Order(), options.Order());
    }

    [Fact]
    public void No_option_gets_an_automatic_short_alias()
    {
        // An automatic alias (e.g. -r for --region) could clash with dotnet new's own options.
        var withAlias = CliHostSymbols.Where(s => (string?)_config.CliHost["symbolInfo"]![s]!["shortName"] != "").ToList();

        Assert.True(withAlias.Count == 0, $"Options with a short alias: {string.Join(", ", withAlias)}");
    }

    [Fact]
    public void The_icon_ide_host_json_names_exists_and_is_not_empty()
    {
        var icon = (string?)_config.IdeHost["icon"];
        Assert.False(string.IsNullOrWhiteSpace(icon), "ide.host.json names no icon.");

        var path = Path.Combine(RepositoryPaths.TemplateConfigFolder, icon);
        Assert.True(File.Exists(path), $"ide.host.json's icon does not exist: {path}");
        Assert.True(new FileInfo(path).Length > 0, $"The icon is empty: {path}");
    }
}
