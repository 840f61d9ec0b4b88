namespace CloudRunSpace_1.AppHost;

/// <summary>One entry of the space manifest, <c>space/NAME.conf</c> (see space/README.md): a Cloud Run service or job.</summary>
/// <param name="Name">The entry's name: its file name without <c>.conf</c>.</param>
/// <param name="Kind">What Cloud Run runs it as.</param>
/// <param name="ProjectPath">The full path of its project file.</param>
/// <param name="Database">Whether it signs in to the space's database.</param>
/// <param name="Invokers">The entries that may call it (a service's <c>INVOKERS</c>); empty for a public service or a job.</param>
internal sealed record SpaceEntry(string Name, SpaceEntryKind Kind, string ProjectPath, bool Database, IReadOnlyList<string> Invokers)
{
    /// <summary>The account a space entry runs as, locally: the local metadata server speaks for the frontend's only.</summary>
    public static string LocalServiceAccount(string entryName) => $"{entryName}@test-project.iam.gserviceaccount.com";
}

/// <summary>The <c>KIND</c> of a manifest entry.</summary>
internal enum SpaceEntryKind
{
    /// <summary>A Cloud Run service: answers requests.</summary>
    Service,

    /// <summary>A Cloud Run job: runs to completion.</summary>
    Job,
}
