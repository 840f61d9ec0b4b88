using CloudRunSpace_1.Frontend.Backend;
using CloudRunSpace_1.Frontend.Components;
using CloudRunSpace_1.Frontend.KeyRing;
using CloudRunSpace_1.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCloudRunDefaults();
builder.AddRecordsBackend();
builder.AddSharedKeyRing();
builder.Services.AddRazorComponents();

var app = builder.Build();
app.UseCloudRunDefaults();
app.UseStaticFiles();
app.UseAntiforgery();
app.MapRazorComponents<App>();

await app.RunAsync();
