using CloudRunService_1.Example;

// The slim builder leaves out what a private JSON API on Cloud Run never uses: less to load on a cold start.
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddCloudRunDefaults();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ExampleJsonContext.Default));
builder.AddGoogleIdTokenAuthentication();
#if (Database)
builder.AddSpaceDatabase();
#endif

var app = builder.Build();
app.UseCloudRunDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.MapExampleEndpoints();

await app.RunAsync();
