using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;

// GET / opens the pool's first connection on its first call and runs the same query as the space's backend list
// endpoint (newest 50 records), answering them as JSON: the one-service baseline of the backend's first ready (the
// first connection and query) and of its CPU per request. Published twice, as the backend is: ReadyToRun (JIT) and
// Native AOT (-p:PublishAot=true), from this one source.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, RowsContext.Default));
builder.Services.AddSingleton(_ => new NpgsqlSlimDataSourceBuilder(
    builder.Configuration.GetConnectionString("Database") ?? throw new InvalidOperationException("set ConnectionStrings__Database")).Build());

var app = builder.Build();
app.MapGet("/", async (NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
{
    await using var command = dataSource.CreateCommand("SELECT id, title, created_at FROM records ORDER BY id DESC LIMIT $1");
    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 50 });
    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
    var records = new List<Row>();
    while (await reader.ReadAsync(cancellationToken))
    {
        records.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
    }

    return TypedResults.Ok(records);
});
app.Run();

internal sealed record Row(long Id, string Title, DateTimeOffset CreatedAt);

[JsonSerializable(typeof(List<Row>))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
internal sealed partial class RowsContext : JsonSerializerContext;
