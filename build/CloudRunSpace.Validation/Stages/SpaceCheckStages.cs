using CloudRunSpace.Validation.Matrix;
using CloudRunSpace.Validation.Reporting;

namespace CloudRunSpace.Validation.Stages;

/// <summary>The Smoke and Faults stages: build/CloudRunSpace.SpaceChecks run against a built variant, judged by its TRX.</summary>
public sealed partial class ValidationStages
{
    private const string SpaceChecksConfiguration = "Release";
    private static readonly TimeSpan SpaceChecksTimeout = TimeSpan.FromMinutes(15);
    private bool _spaceChecksBuilt;

    /// <summary>
    /// The Smoke checks of one variant: its AppHost started, the page and form in chromium, the backend's 401/403/200, logs,
    /// SIGTERM; for a composed space also the Composition checks (every added service behind its front end, every added job).
    /// </summary>
    /// <param name="variant">A variant the Build stage built.</param>
    public bool Smoke(Variant variant) => RunSpaceChecks(variant, "smoke", variant.Additions.Count == 0 ? "Smoke" : "Smoke|Category=Composition");

    /// <summary>The Faults checks of one variant (a password-mode one): parts of the space fail under load; figures in faults.md.</summary>
    /// <param name="variant">A variant the Build stage built.</param>
    public bool Faults(Variant variant) => RunSpaceChecks(variant, "faults", "Faults");

    private bool RunSpaceChecks(Variant variant, string stage, string category)
    {
        BuildSpaceChecks();
        return Test(variant.Name, stage, paths.SpaceChecksProject, new TestRunOptions($"{variant.Name}-{stage}.trx")
        {
            Configuration = SpaceChecksConfiguration,
            NoBuild = true,
            Filter = $"Category={category}",
            Environment = new Dictionary<string, string?>
            {
                ["SPACE_DIRECTORY"] = paths.VariantDirectory(variant),
                ["FAULTS_REPORT"] = paths.FaultsReport,
            },
            Timeout = SpaceChecksTimeout,
        });
    }

    // Once per run: the checks run against every variant from one build.
    private void BuildSpaceChecks()
    {
        if (_spaceChecksBuilt)
        {
            return;
        }

        var run = Dotnet(["build", paths.SpaceChecksProject, "-c", SpaceChecksConfiguration], paths.Log(ValidationReport.RepositoryStages, "space-checks-build"));
        Require(Record(ValidationReport.RepositoryStages, "space-checks-build", run, ExitCodeProblem(run)), "building the space checks");
        _spaceChecksBuilt = true;
    }
}
