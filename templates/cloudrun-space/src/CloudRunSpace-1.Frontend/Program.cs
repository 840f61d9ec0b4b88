using CloudRunSpace_1.Frontend.Backend;
using CloudRunSpace_1.Frontend.KeyRing;
using CloudRunSpace_1.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCloudRunDefaults();
builder.AddRecordsBackend();
builder.AddSharedKeyRing();
builder.Services.AddRazorPages();

var app = builder.Build();
app.UseCloudRunDefaults();
app.UseStaticFiles();
app.MapRazorPages();

await app.RunAsync();
