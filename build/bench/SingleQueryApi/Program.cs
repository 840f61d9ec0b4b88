using Npgsql;

// GET / runs the same query as the space's backend list endpoint (newest 50 records) and returns them as JSON:
// the throughput one process can reach on this machine, beside which the two-service path is judged.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(
    builder.Configuration.GetConnectionString("Database") ?? throw new InvalidOperationException("set ConnectionStrings__Database")));

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

    return Results.Ok(records);
});
app.Run();

internal sealed record Row(long Id, string Title, DateTimeOffset CreatedAt);
