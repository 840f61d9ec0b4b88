using CloudRunSpace_1.AppHost;

// The space as Cloud Run runs it, on this machine: PostgreSQL, the local Google (metadata server and ID-token
// issuer), the migration job, the backend behind a private front end (only the frontend's account may invoke it)
// and the frontend's instances behind a public one. Token checks are on everywhere, as in production.
var builder = DistributedApplication.CreateBuilder(args);
var space = SpaceSettings.From(builder.Configuration, builder.AppHostDirectory);
// The manifest, space/*.conf: a malformed entry stops the start here, naming its file and line.
var entries = SpaceManifest.Read(Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "..")));

var google = builder.AddProject<Projects.CloudRunSpace_1_LocalCloud>("google")
    .WithArgs("google")
    .WithHttpEndpoint(env: "PORT")
    .WithHttpHealthCheck("/");
var googleUrl = google.GetEndpoint("http");

// A throwaway database is stopped and removed when the AppHost ends.
using var database = builder.AddSpaceDatabase(space);

var migrate = builder.AddProject<Projects.CloudRunSpace_1_Backend>("migrate")
    .WithArgs("migrate")
    .WithDatabase(database)
    .WithCloudRunEnvironment(google)
    .WaitFor(google);

var backend = builder.AddProject<Projects.CloudRunSpace_1_Backend>("backend")
    .WithHttpEndpoint(env: "PORT")
    .WithHttpHealthCheck("/healthz/ready")
    .WithDatabase(database)
    .WithCloudRunEnvironment(google)
    .WithEnvironment("Auth__CertificatesUrl", ReferenceExpression.Create($"{googleUrl}/oauth2/v3/certs"))
    .WithEnvironment("Auth__AllowedCallers", SpaceSettings.FrontendServiceAccount)
    .WaitFor(google)
    .WaitForCompletion(migrate);

var backendFrontEnd = builder.AddFrontEnd("backend-front-end", [backend], google, invokers: SpaceSettings.FrontendServiceAccount);
var backendUrl = backendFrontEnd.GetEndpoint("http");
// The backend's own URL, as Cloud Run gives it: the audience of the ID tokens it accepts.
backend.WithEnvironment("Auth__Audience", backendUrl);

var frontends = Enumerable.Range(1, space.FrontendInstances).Select(instance => builder.AddProject<Projects.CloudRunSpace_1_Frontend>($"frontend-{instance}")
        .WithHttpEndpoint(env: "PORT")
        .WithHttpHealthCheck("/healthz/ready")
        .WithCloudRunEnvironment(google)
        .WithEnvironment("Backend__BaseUrl", backendUrl)
        .WithEnvironment("DataProtection__KeysPath", space.KeysPath)
        .WaitFor(backendFrontEnd))
    .ToList();

// The services and jobs added with `dotnet new cloudrun-service` and `dotnet new cloudrun-job`.
foreach (var entry in entries.Where(entry => !SpaceEntryResources.BuiltIn.Contains(entry.Name)))
{
    if (entry.Kind == SpaceEntryKind.Service)
    {
        builder.AddSpaceService(entry, google, database, migrate, frontends);
    }
    else
    {
        builder.AddSpaceJob(entry, google, database, migrate);
    }
}

// The space's public URL: http://localhost:8080 unless Space:Port says otherwise (0: any free port).
builder.AddFrontEnd("frontend-front-end", frontends, google, invokers: null, port: space.Port)
    .WithExternalHttpEndpoints();

await using var app = builder.Build();
await app.RunAsync();
