using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Reporting;

namespace CloudRunSpace.Validation.Stages;

/// <summary>Where the validation build reads and writes, below the repository root.</summary>
/// <param name="root">The repository root (holds templates/CloudRunSpace.Templates.csproj).</param>
public sealed class BuildPaths(string root)
{
    /// <summary>The repository root.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>artifacts/.</summary>
    public string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary>artifacts/validation/: generated variants, reports.</summary>
    public string Validation => Path.Combine(Artifacts, "validation");

    /// <summary>artifacts/validation/logs/: one log per stage.</summary>
    public string Logs => Path.Combine(Validation, "logs");

    /// <summary>artifacts/validation/trx/: every test run's TRX (.ci/run sums them).</summary>
    public string Trx => Path.Combine(Validation, "trx");

    /// <summary>artifacts/template-hive/: the isolated template hive.</summary>
    public string TemplateHive => Path.Combine(Artifacts, "template-hive");

    /// <summary>artifacts/demo/.</summary>
    public string Demo => Path.Combine(Artifacts, "demo");

    /// <summary>The template pack project.</summary>
    public string PackProject => Path.Combine(Root, "templates", "CloudRunSpace.Templates.csproj");

    /// <summary>The solution template's template.json.</summary>
    public string TemplateJson => Path.Combine(Root, "templates", "cloudrun-space", ".template.config", "template.json");

    /// <summary>The solution template's dotnetcli.host.json.</summary>
    public string CliHostJson => Path.Combine(Root, "templates", "cloudrun-space", ".template.config", "dotnetcli.host.json");

    /// <summary>The repository's global.json (the SDK generated solutions are pinned to).</summary>
    public string RepositoryGlobalJson => Path.Combine(Root, "global.json");

    /// <summary>The repository's own tests.</summary>
    public string RepositoryTestsProject => Path.Combine(Root, "tests", "CloudRunSpace.Templates.Tests", "CloudRunSpace.Templates.Tests.csproj");

    /// <summary>The toolkit's unit tests.</summary>
    public string ValidationTestsProject => Path.Combine(Root, "build", "CloudRunSpace.Validation.Tests", "CloudRunSpace.Validation.Tests.csproj");

    /// <summary>The Smoke and Faults checks' project (xUnit over a built variant's AppHost).</summary>
    public string SpaceChecksProject => Path.Combine(Root, "build", "CloudRunSpace.SpaceChecks", "CloudRunSpace.SpaceChecks.csproj");

    /// <summary>Where the Faults checks write their figures.</summary>
    public string FaultsReport => Path.Combine(Validation, "faults.md");

    /// <summary>templates/: one folder per template of the pack.</summary>
    public string Templates => Path.Combine(Root, "templates");

    /// <summary>The fake Google metadata server and token issuer.</summary>
    public string FakeGoogleProject => Path.Combine(Root, "tests", "CloudRunSpace.FakeGoogle", "CloudRunSpace.FakeGoogle.csproj");

    /// <summary>artifacts/validation/variants.json.</summary>
    public string VariantsJson => Path.Combine(Validation, "variants.json");

    /// <summary>The log of one stage: logs/STAGE.log for the repository's, logs/VARIANT-STAGE.log for a variant's.</summary>
    /// <param name="variant">The variant, or <see cref="ValidationReport.RepositoryStages"/>.</param>
    /// <param name="stage">The stage.</param>
    public string Log(string variant, string stage) =>
        Path.Combine(Logs, variant == ValidationReport.RepositoryStages ? $"{stage}.log" : $"{variant}-{stage}.log");

    /// <summary>Where a variant is generated.</summary>
    /// <param name="variant">The variant.</param>
    public string VariantDirectory(Variant variant) => Path.Combine(Validation, variant.Name);

    /// <summary>A generated variant's solution file.</summary>
    /// <param name="variant">The variant.</param>
    public string VariantSolution(Variant variant) => Path.Combine(VariantDirectory(variant), variant.Name + ".sln");
}
