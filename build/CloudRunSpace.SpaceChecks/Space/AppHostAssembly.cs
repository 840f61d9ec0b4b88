using System.Reflection;
using System.Runtime.Loader;

namespace CloudRunSpace.SpaceChecks.Space;

/// <summary>
/// A built variant's AppHost, loaded by path: its name differs per variant (src/NAME.AppHost), so this project has no
/// compile-time reference to it and is built once for every variant. Aspire.Hosting.Testing finds the AppHost project,
/// DCP and the dashboard from the entry point's assembly metadata, which a loaded assembly carries as well; the
/// AppHost's own dependencies that this project does not have (Npgsql's health check, Nerdbank.MessagePack, …) are
/// loaded from its bin folder. What both have (Aspire.Hosting itself) is this project's copy: one set of types.
/// </summary>
public static class AppHostAssembly
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Type> Loaded = [];

    /// <summary>The AppHost's entry point type (its top-level Program) of the space in <paramref name="spaceDirectory"/>.</summary>
    public static Type EntryPoint(string spaceDirectory)
    {
        var dll = FindDll(spaceDirectory);
        lock (Gate)
        {
            if (Loaded.TryGetValue(dll, out var known))
            {
                return known;
            }

            var folder = Path.GetDirectoryName(dll)!;
            AssemblyLoadContext.Default.Resolving += (context, name) =>
                Path.Combine(folder, name.Name + ".dll") is var candidate && File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll);
            var entryPoint = assembly.EntryPoint?.DeclaringType
                ?? throw new InvalidOperationException($"{dll} has no entry point: is it the AppHost?");
            Loaded[dll] = entryPoint;
            return entryPoint;
        }
    }

    /// <summary>The built src/NAME.AppHost/bin/CONFIGURATION/TFM/NAME.AppHost.dll; fails naming what is missing.</summary>
    public static string FindDll(string spaceDirectory)
    {
        var appHosts = Directory.GetDirectories(Path.Combine(spaceDirectory, "src"), "*.AppHost");
        if (appHosts.Length != 1)
        {
            throw new InvalidOperationException(
                $"{CheckSettings.SpaceDirectoryVariable}={spaceDirectory}: expected one src/*.AppHost folder, found {appHosts.Length}.");
        }

        var name = Path.GetFileName(appHosts[0]);
        var bin = Path.Combine(appHosts[0], "bin");
        var separator = Path.DirectorySeparatorChar;
        var found = Directory.Exists(bin)
            ? Directory.GetFiles(bin, name + ".dll", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{separator}publish{separator}", StringComparison.Ordinal)).ToList()
            : [];
        return found.Count switch
        {
            1 => found[0],
            0 => throw new InvalidOperationException($"{name}.dll is not under {bin}: build the space first (./build.sh --target=Build, or dotnet build {spaceDirectory})."),
            _ => throw new InvalidOperationException($"{name}.dll is built {found.Count} times under {bin} ({string.Join(", ", found)}): remove all but one configuration."),
        };
    }

    /// <summary>The AppHost's assembly name, e.g. Acme.Shop.AppHost.</summary>
    public static string Name(Type entryPoint) => entryPoint.Assembly.GetName().Name ?? "AppHost";

    /// <summary>The metadata Aspire reads from it (project path, DCP, dashboard), for a failure message.</summary>
    public static string Metadata(Type entryPoint) =>
        string.Join(", ", entryPoint.Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Select(a => $"{a.Key}={a.Value}"));
}
