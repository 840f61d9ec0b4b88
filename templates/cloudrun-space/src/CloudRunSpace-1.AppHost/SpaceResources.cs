using Microsoft.Extensions.DependencyInjection;

namespace CloudRunSpace_1.AppHost;

/// <summary>The pieces of the space's model that Aspire has no word for: its database and Cloud Run's front ends.</summary>
internal static class SpaceResources
{
    /// <summary>
    /// The database: the one in <c>ConnectionStrings__Database</c> when given, else a throwaway PostgreSQL cluster from
    /// the server binaries on this machine (removed when the returned database is disposed).
    /// </summary>
    public static SpaceDatabase AddSpaceDatabase(this IDistributedApplicationBuilder builder, SpaceSettings space)
    {
        if (space.ConnectionString is not null)
        {
            return new SpaceDatabase(builder.AddConnectionString("Database"), space.ConnectionString, Cluster: null);
        }

        var postgres = space.IamDatabaseAuth
            ? LocalPostgres.Create(SpaceSettings.IamDatabaseUser, SpaceSettings.LocalAccessToken)
            : LocalPostgres.Create("app");
        // No pooled connection: PostgreSQL stops on SIGTERM only once every session has ended.
        builder.Services.AddHealthChecks().AddNpgSql(postgres.ConnectionString() + ";Pooling=false", name: "postgres-accepts-connections");
        var (fileName, arguments) = postgres.ServerCommand;
        var server = builder.AddExecutable("postgres", fileName, Path.GetTempPath(), arguments)
            .WithHealthCheck("postgres-accepts-connections");
        // In IAM mode the password is left out: the backend's password provider brings the access token.
        return new SpaceDatabase(server, postgres.ConnectionString(withPassword: !space.IamDatabaseAuth), postgres);
    }

    /// <summary>Signs the resource in to the space's database and waits for it.</summary>
    public static IResourceBuilder<ProjectResource> WithDatabase(this IResourceBuilder<ProjectResource> resource, SpaceDatabase database) =>
        resource.WithEnvironment("ConnectionStrings__Database", database.ConnectionString)
            .WaitFor(database.Resource);

    /// <summary>
    /// What Cloud Run gives a container, locally: the local Google as its metadata server (access and ID tokens), the
    /// project id, and logs as Cloud Logging JSON lines, with a line per request (Cloud Run's request log) so that
    /// every request's trace shows in the console logs.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithCloudRunEnvironment(this IResourceBuilder<ProjectResource> resource, IResourceBuilder<ProjectResource> google) =>
        resource.WithEnvironment("GCE_METADATA_HOST", google.GetEndpoint("http").Property(EndpointProperty.HostAndPort))
            .WithEnvironment("GOOGLE_CLOUD_PROJECT", "test-project")
            .WithEnvironment("Logging__CloudLoggingJson", "true")
            .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information");

    /// <summary>
    /// Cloud Run's front end for a service: requests round-robin over its instances, with the headers Google adds, and
    /// for a private service (<paramref name="invokers"/> given) the invoker check on the caller's ID token.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddFrontEnd(this IDistributedApplicationBuilder builder, string name,
        IReadOnlyList<IResourceBuilder<ProjectResource>> instances, IResourceBuilder<ProjectResource> google, string? invokers,
        int? port = null)
    {
        var frontEnd = builder.AddProject<Projects.CloudRunSpace_1_LocalCloud>(name)
            .WithArgs("front-end")
            .WithHttpEndpoint(port: port, env: "PORT");
        for (var i = 0; i < instances.Count; i++)
        {
            frontEnd.WithEnvironment($"FrontEnd__Instances__{i}", instances[i].GetEndpoint("http")).WaitFor(instances[i]);
        }

        if (invokers is not null)
        {
            frontEnd.WithEnvironment("FrontEnd__Invokers", invokers)
                .WithEnvironment("FrontEnd__Audience", frontEnd.GetEndpoint("http"))
                .WithEnvironment("FrontEnd__CertificatesUrl", ReferenceExpression.Create($"{google.GetEndpoint("http")}/oauth2/v3/certs"))
                .WaitFor(google);
        }

        return frontEnd;
    }
}

/// <summary>The space's database: the resource to wait for and the connection string to hand out.</summary>
/// <param name="Resource">What the services wait for.</param>
/// <param name="ConnectionString">
/// What the backend and the migration job get as <c>ConnectionStrings__Database</c> (in IAM mode without a password:
/// the access token is the password).
/// </param>
/// <param name="Cluster">The throwaway cluster, when the space made one: stopped and removed on dispose.</param>
internal sealed record SpaceDatabase(IResourceBuilder<IResource> Resource, string ConnectionString, LocalPostgres? Cluster) : IDisposable
{
    /// <inheritdoc />
    public void Dispose() => Cluster?.Dispose();
}
