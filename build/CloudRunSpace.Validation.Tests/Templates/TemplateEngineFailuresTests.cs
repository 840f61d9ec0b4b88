using CloudRunSpace.Validation.Templates;

namespace CloudRunSpace.Validation.Tests.Templates;

/// <summary>The template engine's failures that exit 0 are still failures.</summary>
public sealed class TemplateEngineFailuresTests
{
    [Theory]
    [InlineData("No templates were found in the package", "the package holds no valid template")]
    [InlineData("Failed to install: [MV002] Missing 'identity'.", "template metadata validation error")]
    [InlineData("Error: Failed to load template from /x/template.json.", "the template engine reported an error")]
    [InlineData("Restore failed.", "a restore post action failed")]
    [InlineData("Post action failed.", "a post action failed")]
    [InlineData("warning LOC001: the localization file is out of date", "localization error")]
    [InlineData("LOC002: a localized string has no source", "localization error")]
    public void A_marker_in_the_output_of_a_run_that_exited_0_fails_it(string output, string meaning)
    {
        var problem = TemplateEngineFailures.Problem(0, output);

        Assert.NotNull(problem);
        Assert.StartsWith(meaning, problem);
        Assert.EndsWith("although it exited 0", problem);
    }

    [Fact]
    public void A_clean_run_that_exited_0_passes()
    {
        Assert.Null(TemplateEngineFailures.Problem(0, "The template \"Cloud Run private space\" was created successfully."));
    }

    [Fact]
    public void A_non_zero_exit_code_fails_the_run_whatever_it_printed()
    {
        Assert.Equal("exit code 106", TemplateEngineFailures.Problem(106, "The template was created successfully."));
    }

    [Fact]
    public void Markers_are_case_sensitive_so_a_file_named_error_page_is_not_a_failure()
    {
        Assert.Null(TemplateEngineFailures.Problem(0, "Create: Pages/error.cshtml"));
    }
}
