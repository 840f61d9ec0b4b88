using CloudRunSpace.Validation.Processes;

namespace CloudRunSpace.Validation.Spaces;

/// <summary>Where a generated space's built services are and how its database signs in.</summary>
public sealed class SpaceSettings
{
    /// <summary>The solution name, e.g. Acme.Shop.</summary>
    public string Name { get; init; } = "";

    /// <summary>The backend's entry: a .dll run by dotnet, or a Native AOT executable.</summary>
    public string BackendDll { get; init; } = "";

    /// <summary>The frontend's entry.</summary>
    public string FrontendDll { get; init; } = "";

    /// <summary>--db-auth iam: the backend signs in with an access token.</summary>
    public bool IamDatabaseAuth { get; init; }

    /// <summary>The built tests/CloudRunSpace.FakeGoogle dll.</summary>
    public string FakeGoogleDll { get; init; } = "";

    /// <summary>The folder the space's logs go to.</summary>
    public string LogDirectory { get; init; } = "";

    /// <summary>The logs' name prefix, e.g. "Acme.Shop-smoke".</summary>
    public string LogPrefix { get; init; } = "";

    /// <summary>Extra configuration for migrate and both services (e.g. a log level); it wins over the space's own.</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a service may take to answer /healthz/ready.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The settings of the built output (bin/CONFIGURATION/TFM/) of a space generated into <paramref name="spaceDirectory"/>.</summary>
    /// <param name="spaceDirectory">The generated solution's folder.</param>
    /// <param name="name">The solution name.</param>
    /// <param name="iamDatabaseAuth">Whether the space was generated with --db-auth iam.</param>
    /// <param name="configuration">The configuration it was built in.</param>
    /// <param name="fakeGoogleDll">The built fake Google server.</param>
    /// <param name="logDirectory">Where the logs go.</param>
    /// <param name="logPrefix">The logs' name prefix.</param>
    /// <param name="extraEnvironment">Extra configuration for the services.</param>
    /// <exception cref="LoggedFailureException">A service's dll is missing or there more than once.</exception>
    public static SpaceSettings ForBuiltSpace(string spaceDirectory, string name, bool iamDatabaseAuth, string configuration,
        string fakeGoogleDll, string logDirectory, string logPrefix, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        string Dll(string project)
        {
            var bin = Path.Combine(spaceDirectory, "src", $"{name}.{project}", "bin", configuration);
            var publish = $"{Path.DirectorySeparatorChar}publish{Path.DirectorySeparatorChar}";
            var found = Directory.Exists(bin)
                ? Directory.GetFiles(bin, $"{name}.{project}.dll", SearchOption.AllDirectories).Where(f => !f.Contains(publish, StringComparison.Ordinal)).ToList()
                : [];
            return found.Count == 1 ? found[0] : throw new LoggedFailureException(found.Count == 0
                ? $"{name}.{project}.dll is not under {bin}: build the space ({configuration}) first"
                : $"{name}.{project}.dll is there {found.Count} times under {bin}: {string.Join(", ", found)}");
        }

        return new SpaceSettings
        {
            Name = name,
            BackendDll = Dll("Backend"),
            FrontendDll = Dll("Frontend"),
            IamDatabaseAuth = iamDatabaseAuth,
            FakeGoogleDll = fakeGoogleDll,
            LogDirectory = logDirectory,
            LogPrefix = logPrefix,
            ExtraEnvironment = extraEnvironment ?? new Dictionary<string, string>(),
        };
    }
}
