namespace CloudRunSpace.SpaceChecks;

/// <summary>
/// What the checks run against, from environment variables (the build sets them; an IDE's run settings can too):
/// <list type="bullet">
/// <item><c>SPACE_DIRECTORY</c> (required): a built variant's folder, e.g. artifacts/validation/Acme.Shop.</item>
/// <item><c>CHROMIUM_PATH</c>: the browser Playwright drives; /usr/bin/chromium (Debian's chromium package) by default.</item>
/// <item><c>FAULTS_REPORT</c>: where the Faults class writes its figures; artifacts/validation/faults.md of the repository by default.</item>
/// <item><c>WRK_SECONDS</c>: how long the wrk run of the Faults class lasts; 30 by default.</item>
/// </list>
/// </summary>
public static class CheckSettings
{
    /// <summary>The setting naming the variant's folder.</summary>
    public const string SpaceDirectoryVariable = "SPACE_DIRECTORY";

    /// <summary>The setting naming the chromium executable.</summary>
    public const string ChromiumVariable = "CHROMIUM_PATH";

    /// <summary>The setting naming the faults report file.</summary>
    public const string FaultsReportVariable = "FAULTS_REPORT";

    /// <summary>The setting for the wrk run's length in seconds.</summary>
    public const string WrkSecondsVariable = "WRK_SECONDS";

    /// <summary>The built variant's folder (it holds src/NAME.AppHost); fails with the setting's name when unset or wrong.</summary>
    public static string SpaceDirectory
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(SpaceDirectoryVariable);
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException(
                    $"{SpaceDirectoryVariable} is not set: set it to a built variant's folder, e.g. {SpaceDirectoryVariable}=artifacts/validation/Acme.Shop (./build.sh --target=Build writes them).");
            }

            var full = Path.GetFullPath(value);
            if (!Directory.Exists(Path.Combine(full, "src")))
            {
                throw new InvalidOperationException(
                    $"{SpaceDirectoryVariable}={value} is not a generated space's folder: {Path.Combine(full, "src")} does not exist.");
            }

            return full;
        }
    }

    /// <summary>The chromium executable; fails naming the package to install when it is missing.</summary>
    public static string ChromiumPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"No browser at {path}: apt-get install chromium (Debian's package; Playwright's own browser download does not work here), or set {ChromiumVariable}.");
            }

            return path;
        }
    }

    /// <summary>The faults report file.</summary>
    public static string FaultsReport =>
        Environment.GetEnvironmentVariable(FaultsReportVariable) is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(RepositoryRoot, "artifacts", "validation", "faults.md");

    /// <summary>How long the wrk run lasts.</summary>
    public static TimeSpan WrkDuration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable(WrkSecondsVariable), out var seconds) && seconds > 0 ? seconds : 30);

    /// <summary>The repository this project was built in (the folder holding CloudRunSpaceTemplates.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "CloudRunSpaceTemplates.sln")))
                {
                    return folder.FullName;
                }
            }

            throw new InvalidOperationException($"No CloudRunSpaceTemplates.sln above {AppContext.BaseDirectory}: set {FaultsReportVariable}.");
        }
    }
}
