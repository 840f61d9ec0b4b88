using CloudRunSpace_1.ServiceDefaults.Auth;
using CloudRunSpace_1.Backend.Data;
using CloudRunSpace_1.Backend.Records;
using CloudRunSpace_1.ServiceDefaults;

// The slim builder leaves out what a private JSON API on Cloud Run never uses (HTTPS and HTTP/3 in Kestrel,
// regex route constraints, hosting start-up assemblies): less to load on a cold start, and Native AOT friendly.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddCloudRunDefaults();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, BackendJsonContext.Default));
builder.AddRecordsDatabase();
builder.AddGoogleIdTokenAuthentication();

var app = builder.Build();

// `backend migrate`: the entry the Cloud Run migration job and the local run use; never run on start-up.
if (args is ["migrate", ..])
{
    return await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
}

app.UseCloudRunDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapRecordsEndpoints();

await app.RunAsync();
return 0;
