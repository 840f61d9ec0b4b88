using System.Net.Http.Headers;
using BareBlazor.Components;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddHttpClient("backend", http =>
{
    http.BaseAddress = new Uri(builder.Configuration["Backend:BaseUrl"] ?? throw new InvalidOperationException("set Backend__BaseUrl"));
    http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(builder.Configuration["Backend:Authorization"] ?? throw new InvalidOperationException("set Backend__Authorization"));
});
builder.Services.AddRazorComponents();

var app = builder.Build();
app.UseStaticFiles();
app.UseAntiforgery();
app.MapRazorComponents<App>();
app.Run();
