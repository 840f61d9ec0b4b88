using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Instantiation;

/// <summary>A wrong option value is refused with a message that names the option, and nothing is written.</summary>
public sealed class BadInputTests(TemplateHive hive)
{
    public static TheoryData<string, string> BadValues => new()
    {
        { "--frontend", "vue" },
        { "--db-auth", "nope" },
        { "--region", "mars-north1" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_bad_option_value_is_refused_with_a_message_naming_it_and_nothing_is_written(string option, string value)
    {
        var attempt = await hive.InstantiateAsync("Acme.Shop", option, value);

        Assert.True(attempt.ExitCode != 0, $"`{option} {value}` was accepted:{Environment.NewLine}{attempt.Output}");
        Assert.Contains(option, attempt.Output, StringComparison.Ordinal);
        Assert.Contains(value, attempt.Output, StringComparison.Ordinal);
        Assert.Empty(attempt.Files);
    }
}
