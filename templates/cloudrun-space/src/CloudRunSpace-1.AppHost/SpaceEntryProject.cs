using System.Reflection;

namespace CloudRunSpace_1.AppHost;

/// <summary>
/// A manifest entry's project as the AppHost runs it. The AppHost's own build (its <c>BuildSpaceEntries</c> target)
/// has built it, so it starts with <c>dotnet run --no-build</c> like the projects the AppHost references: added by path
/// alone, each would be built again at every start by an MSBuild of its own, all at once and while the space starts.
/// </summary>
internal sealed class SpaceEntryProject(string projectPath) : IProjectMetadata
{
    // False when an IDE built the AppHost (the target is skipped there): `dotnet run` then builds the entry.
    private static readonly bool BuiltWithAppHost = typeof(SpaceEntryProject).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Any(attribute => attribute is { Key: "SpaceEntriesBuiltWithAppHost", Value: "true" });

    public string ProjectPath { get; } = projectPath;

    public bool SuppressBuild => BuiltWithAppHost;
}

/// <summary>Adds a manifest entry's project.</summary>
internal static class SpaceEntryProjectExtensions
{
    /// <summary>The entry's project, started without a build of its own when the AppHost's build made it.</summary>
    /// <remarks>
    /// What <c>AddProject&lt;TProject&gt;</c> does, with metadata made at run time: Aspire takes a project's metadata
    /// only before <c>WithProjectDefaults</c>, which is still marked for evaluation (ASPIREPROJECTS001).
    /// </remarks>
    public static IResourceBuilder<ProjectResource> AddSpaceEntryProject(this IDistributedApplicationBuilder builder, SpaceEntry entry)
    {
#pragma warning disable ASPIREPROJECTS001
        return builder.AddResource(new ProjectResource(entry.Name))
            .WithAnnotation<IProjectMetadata>(new SpaceEntryProject(entry.ProjectPath))
            .WithProjectDefaults(new ProjectResourceOptions());
#pragma warning restore ASPIREPROJECTS001
    }
}
