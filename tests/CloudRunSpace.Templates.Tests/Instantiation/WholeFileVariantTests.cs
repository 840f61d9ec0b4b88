using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>
/// Where two implementations differ throughout a file, the template holds each as a whole file and template.json
/// picks one (sources.modifiers exclude and rename): a space gets exactly one, under the usual name, and no
/// generated file keeps a template directive.
/// </summary>
public sealed partial class WholeFileVariantTests(TemplateHive hive)
{
    private const string Name = "Acme.Shop";
    private const string PasswordProvider = "src/Acme.Shop.Database/CloudSqlIamPasswordProvider.cs";
    private const string FrontendProgram = "src/Acme.Shop.Frontend/Program.cs";

    /// <summary>Option sets that between them take every branch of every template directive.</summary>
    public static TheoryData<string> EveryBranch =>
    [
        "",
        "--db-auth iam",
        "--frontend blazor --db-auth iam --egress connector --native-aot true",
    ];

    [Theory]
    [MemberData(nameof(EveryBranch))]
    public async Task No_generated_file_keeps_a_template_directive_or_a_variant_file_name(string options)
    {
        var space = await Generate(options);

        // The space's own code has no preprocessor conditionals, so any such line is one the engine left behind.
        var leftovers = GeneratedFiles.TextFiles(space)
            .SelectMany(file => file.Text.Split('\n')
                .Select((line, index) => (Line: line, Number: index + 1))
                .Where(line => Directive().IsMatch(line.Line))
                .Select(line => $"{file.Path}:{line.Number}: {line.Line.Trim()}"))
            .Concat(space.Files.Where(f => f.Contains(".NativeAot.", StringComparison.Ordinal) || f.EndsWith(".Blazor.cs", StringComparison.Ordinal)))
            .ToList();

        Assert.True(leftovers.Count == 0, $"Left in the output of [{options}]:{Environment.NewLine}{string.Join(Environment.NewLine, leftovers)}");
    }

    [Fact]
    public async Task A_native_aot_iam_space_gets_the_metadata_server_password_provider_under_the_usual_name()
    {
        var text = await ReadAsync(await Generate("--db-auth iam --native-aot true"), PasswordProvider);

        Assert.Contains("computeMetadata/v1/instance/service-accounts/default/token", text, StringComparison.Ordinal);
        Assert.DoesNotContain("using Google.Apis.Auth", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_jit_iam_space_gets_the_google_credential_password_provider()
    {
        var text = await ReadAsync(await Generate("--db-auth iam"), PasswordProvider);

        Assert.Contains("GoogleCredential.GetApplicationDefaultAsync", text, StringComparison.Ordinal);
        Assert.DoesNotContain("computeMetadata", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_space_has_no_iam_password_provider()
    {
        var space = await Generate("");

        Assert.NotEmpty(space.Files);
        Assert.DoesNotContain(space.Files, f => f.Contains("CloudSqlIamPasswordProvider", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_blazor_space_s_program_maps_razor_components_and_a_razor_space_s_maps_razor_pages()
    {
        var blazor = await ReadAsync(await Generate("--frontend blazor --db-auth iam --egress connector --native-aot true"), FrontendProgram);
        var razor = await ReadAsync(await Generate(""), FrontendProgram);

        Assert.Contains("app.MapRazorComponents<App>();", blazor, StringComparison.Ordinal);
        Assert.DoesNotContain("MapRazorPages", blazor, StringComparison.Ordinal);
        Assert.Contains("app.MapRazorPages();", razor, StringComparison.Ordinal);
        Assert.DoesNotContain("MapRazorComponents", razor, StringComparison.Ordinal);
    }

    private async Task<Infrastructure.Instantiation> Generate(string options)
    {
        var space = await hive.SharedInstantiationAsync(Name, options.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(space.ExitCode == 0, $"dotnet new with [{options}] exited {space.ExitCode}:{Environment.NewLine}{space.Output}");
        return space;
    }

    private static async Task<string> ReadAsync(Infrastructure.Instantiation space, string relativePath)
    {
        Assert.True(File.Exists(space.PathOf(relativePath)), $"No {relativePath}; files: {string.Join(", ", space.Files)}");
        return await File.ReadAllTextAsync(space.PathOf(relativePath), TestContext.Current.CancellationToken);
    }

    // #if / #else / #elseif / #elif / #endif, bare (C#, hash-comment files) or in a comment (<!--#if, @*#if, //#if, ##if).
    [GeneratedRegex(@"^\s*(?:<!--|@\*|//|#)?#(?:if|else|elseif|elif|endif)\b")]
    private static partial Regex Directive();
}
