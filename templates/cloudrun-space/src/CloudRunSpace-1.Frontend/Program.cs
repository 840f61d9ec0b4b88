using CloudRunSpace_1.Frontend.Backend;
using CloudRunSpace_1.Frontend.KeyRing;
#if (UseBlazor)
using CloudRunSpace_1.Frontend.Components;
#endif
using CloudRunSpace_1.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddCloudRunDefaults();
builder.AddRecordsBackend();
builder.AddSharedKeyRing();
#if (UseBlazor)
builder.Services.AddRazorComponents();
#else
builder.Services.AddRazorPages();
#endif

var app = builder.Build();
app.UseCloudRunDefaults();
app.UseStaticFiles();
#if (UseBlazor)
app.UseAntiforgery();
app.MapRazorComponents<App>();
#else
app.MapRazorPages();
#endif

await app.RunAsync();
