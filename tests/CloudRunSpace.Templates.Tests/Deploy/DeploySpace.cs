using System.Text.RegularExpressions;
using CloudRunSpace.Templates.Tests.Infrastructure;

namespace CloudRunSpace.Templates.Tests.Deploy;

/// <summary>
/// A copy of the template's deploy/ folder, space/ manifest and cloudbuild.yaml in a temp folder, with env files made from
/// the template's own deploy/env/prod.env (its #if blocks resolved here as the template engine would),
/// so scripts can be tested straight from the template with any settings.
/// </summary>
public sealed partial class DeploySpace : IDisposable
{
    public DeploySpace()
    {
        Folder = Directory.CreateTempSubdirectory("deploy-space-").FullName;
        CopyFolder(Path.Combine(RepositoryPaths.TemplateFolder, "deploy"), Path.Combine(Folder, "deploy"));
        CopyFolder(Path.Combine(RepositoryPaths.TemplateFolder, "space"), Path.Combine(Folder, "space"));
        File.Copy(Path.Combine(RepositoryPaths.TemplateFolder, "cloudbuild.yaml"), Path.Combine(Folder, "cloudbuild.yaml"));
        File.Delete(Path.Combine(Folder, "deploy", "env", "prod.env"));
    }

    /// <summary>The space root (holds deploy/, space/ and cloudbuild.yaml).</summary>
    public string Folder { get; }

    /// <summary>Writes the manifest entry space/NAME.conf (as <c>dotnet new cloudrun-service|cloudrun-job</c> would add it).</summary>
    public void AddEntry(string name, string contents) =>
        File.WriteAllText(Path.Combine(Folder, "space", name + ".conf"), contents.ReplaceLineEndings("\n"));

    /// <summary>Deletes the manifest entry space/NAME.conf.</summary>
    public void RemoveEntry(string name) => File.Delete(Path.Combine(Folder, "space", name + ".conf"));

    /// <summary>A private service entry like <c>dotnet new cloudrun-service -n Orders</c> adds.</summary>
    public static string ServiceEntry(string project, string invokers = "frontend", bool database = false, string maxInstances = "4") =>
        $"""
        KIND=service
        PROJECT=src/{project}/{project}.csproj
        DOCKERFILE=src/{project}/Dockerfile
        DATABASE={(database ? "true" : "false")}
        INGRESS=internal
        INVOKERS={invokers}
        CONCURRENCY=80
        CPU=1
        MEMORY=512Mi
        MIN_INSTANCES=0
        MAX_INSTANCES={maxInstances}
        {(database ? "DB_POOL_SIZE=5" : "")}
        """;

    /// <summary>A job entry like <c>dotnet new cloudrun-job -n Nightly</c> adds.</summary>
    public static string JobEntry(string project, string schedule = "\"0 3 * * *\"", bool database = false) =>
        $"""
        KIND=job
        PROJECT=src/{project}/{project}.csproj
        DOCKERFILE=src/{project}/Dockerfile
        DATABASE={(database ? "true" : "false")}
        CPU=1
        MEMORY=512Mi
        TASK_TIMEOUT=600s
        MAX_RETRIES=1
        SCHEDULE={schedule}
        TIME_ZONE=Etc/UTC
        {(database ? "DB_POOL_SIZE=5" : "")}
        """;

    /// <summary>Every script of deploy/, relative to the space root.</summary>
    public static IReadOnlyList<string> Scripts =>
        Directory.GetFiles(Path.Combine(RepositoryPaths.TemplateFolder, "deploy"), "*.sh")
            .Select(f => "deploy/" + Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Writes deploy/env/NAME.env from the template's prod.env with the given conditions resolved and
    /// settings replaced (a null value removes the line; an unknown key is appended).
    /// </summary>
    public void WriteEnv(string name, bool iam = false, bool connector = false, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var lines = ResolveConditions(File.ReadAllLines(TemplateEnvFile), new() { ["UseIamAuth"] = iam, ["UseConnector"] = connector });
        var remaining = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        var output = new List<string>();
        foreach (var line in lines)
        {
            var key = line.Split('=', 2)[0];
            if (remaining.Remove(key, out var value))
            {
                if (value is not null)
                {
                    output.Add($"{key}={value}");
                }
            }
            else
            {
                output.Add(line);
            }
        }

        output.AddRange(remaining.Where(kv => kv.Value is not null).Select(kv => $"{kv.Key}={kv.Value}"));
        File.WriteAllLines(Path.Combine(Folder, "deploy", "env", name + ".env"), output);
    }

    /// <summary>The template's env file, with its #if blocks.</summary>
    public static string TemplateEnvFile => Path.Combine(RepositoryPaths.TemplateFolder, "deploy", "env", "prod.env");

    /// <summary>Keeps the lines of the true branches of <c>#if (Symbol)</c> / <c>#else</c> / <c>#endif</c> (no nesting).</summary>
    public static IReadOnlyList<string> ResolveConditions(IEnumerable<string> lines, Dictionary<string, bool> symbols)
    {
        var output = new List<string>();
        bool? keep = null;
        foreach (var line in lines)
        {
            if (IfLine().Match(line) is { Success: true } m)
            {
                keep = symbols[m.Groups["symbol"].Value];
            }
            else if (line.Trim() == "#else")
            {
                keep = !keep ?? throw new InvalidDataException("#else without #if");
            }
            else if (line.Trim() == "#endif")
            {
                keep = null;
            }
            else if (keep != false)
            {
                output.Add(line);
            }
        }

        return output;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable(TemplateHive.KeepOutputVariable) != "1")
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    private static void CopyFolder(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    [GeneratedRegex(@"^\s*#if\s*\(\s*(?<symbol>\w+)\s*\)\s*$")]
    private static partial Regex IfLine();
}
