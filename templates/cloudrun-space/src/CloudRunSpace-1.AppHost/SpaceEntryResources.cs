namespace CloudRunSpace_1.AppHost;

/// <summary>
/// The services and jobs added to the space with <c>dotnet new cloudrun-service</c> and <c>dotnet new cloudrun-job</c>:
/// every manifest entry other than the frontend and the backend, which Program.cs models itself.
/// </summary>
internal static class SpaceEntryResources
{
    /// <summary>The entries Program.cs models itself.</summary>
    public static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal) { "frontend", "backend" };

    /// <summary>
    /// A service: its project behind its own private front end, whose invoker check and the service's own token check
    /// allow the accounts of its <c>INVOKERS</c>; each frontend instance gets its URL as
    /// <c>PrivateServices__NAME__BaseUrl</c> (and <c>__Audience</c>) when the frontend is one of them.
    /// </summary>
    public static void AddSpaceService(this IDistributedApplicationBuilder builder, SpaceEntry entry, IResourceBuilder<ProjectResource> google,
        SpaceDatabase database, IResourceBuilder<ProjectResource> migrate, IReadOnlyList<IResourceBuilder<ProjectResource>> frontends)
    {
        // Locally every invoker is named by its account; the local metadata server mints ID tokens for the frontend's
        // only, so the other invokers are allowed but cannot call.
        var invokers = string.Join(',', entry.Invokers.Select(SpaceEntry.LocalServiceAccount));
        var service = builder.AddSpaceEntryProject(entry)
            .WithHttpEndpoint(env: "PORT")
            .WithHttpHealthCheck("/healthz/ready")
            .WithCloudRunEnvironment(google)
            .WithEnvironment("Auth__CertificatesUrl", ReferenceExpression.Create($"{google.GetEndpoint("http")}/oauth2/v3/certs"))
            .WithEnvironment("Auth__AllowedCallers", invokers)
            .WaitFor(google);
        if (entry.Database)
        {
            service.WithDatabase(database).WaitForCompletion(migrate);
        }

        var frontEnd = builder.AddFrontEnd($"{entry.Name}-front-end", [service], google, invokers);
        var url = frontEnd.GetEndpoint("http");
        // The service's own URL, as Cloud Run gives it: the audience of the ID tokens it accepts.
        service.WithEnvironment("Auth__Audience", url);
        if (entry.Invokers.Contains("frontend"))
        {
            foreach (var frontend in frontends)
            {
                frontend.WithEnvironment($"PrivateServices__{entry.Name}__BaseUrl", url)
                    .WithEnvironment($"PrivateServices__{entry.Name}__Audience", url);
            }
        }
    }

    /// <summary>A job: its project, run once when the space starts (after the migrations when it uses the database), then ended.</summary>
    public static void AddSpaceJob(this IDistributedApplicationBuilder builder, SpaceEntry entry, IResourceBuilder<ProjectResource> google,
        SpaceDatabase database, IResourceBuilder<ProjectResource> migrate)
    {
        var job = builder.AddSpaceEntryProject(entry)
            .WithCloudRunEnvironment(google)
            .WithEnvironment("CLOUD_RUN_JOB", entry.Name)
            .WithEnvironment("CLOUD_RUN_TASK_INDEX", "0")
            .WithEnvironment("CLOUD_RUN_TASK_COUNT", "1")
            .WaitFor(google);
        if (entry.Database)
        {
            job.WithDatabase(database).WaitForCompletion(migrate);
        }
    }
}
