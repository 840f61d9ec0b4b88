using System.Net.Http.Headers;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddHttpClient("backend", http =>
{
    http.BaseAddress = new Uri(builder.Configuration["Backend:BaseUrl"] ?? throw new InvalidOperationException("set Backend__BaseUrl"));
    http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(builder.Configuration["Backend:Authorization"] ?? throw new InvalidOperationException("set Backend__Authorization"));
});
builder.Services.AddRazorPages();

var app = builder.Build();
app.UseStaticFiles();
app.MapRazorPages();
app.Run();
