using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>
/// Generated files speak to the user of the space: notes meant for the template's authors live in the pack's
/// README or in template-only blocks the engine drops, never in a space.
/// </summary>
public sealed class AuthorNoteTests(TemplateHive hive)
{
    /// <summary>Phrases that only make sense to someone working on this repository.</summary>
    private static readonly string[] AuthorPhrases =
    [
        "template pack", "Bench target", "template's own folder", "Template folder only", "validation build", "build.cake",
    ];

    [Theory]
    [MemberData(nameof(WholeFileVariantTests.EveryBranch), MemberType = typeof(WholeFileVariantTests))]
    public async Task No_generated_file_holds_a_note_meant_for_the_template_s_authors(string options)
    {
        var space = await hive.SharedInstantiationAsync("Acme.Shop", options.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(space.ExitCode == 0, $"dotnet new with [{options}] exited {space.ExitCode}:{Environment.NewLine}{space.Output}");

        var notes = GeneratedFiles.TextFiles(space)
            .SelectMany(file => AuthorPhrases
                .Where(phrase => file.Text.Contains(phrase, StringComparison.OrdinalIgnoreCase))
                .Select(phrase => $"{file.Path}: \"{phrase}\""))
            .ToList();

        Assert.NotEmpty(space.Files);
        Assert.True(notes.Count == 0, $"Notes for the template's authors in the output of [{options}]:{Environment.NewLine}{string.Join(Environment.NewLine, notes)}");
    }
}
