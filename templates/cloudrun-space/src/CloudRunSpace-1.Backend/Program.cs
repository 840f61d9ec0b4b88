using CloudRunSpace_1.Backend.Auth;
using CloudRunSpace_1.Backend.Data;
using CloudRunSpace_1.Backend.Records;
using CloudRunSpace_1.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCloudRunDefaults();
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
