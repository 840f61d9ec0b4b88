using Npgsql;

namespace CloudRunSpace_1.Backend.Records;

/// <summary>Reads and writes records with parameterised SQL over the process's one data source.</summary>
public sealed class RecordStore(NpgsqlDataSource dataSource)
{
    /// <summary>The newest records first.</summary>
    public async Task<IReadOnlyList<RecordItem>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, title, created_at FROM records ORDER BY id DESC LIMIT $1");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>One record, or null when there is none with that id.</summary>
    public async Task<RecordItem?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, title, created_at FROM records WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        var records = await ReadAllAsync(command, cancellationToken);
        return records.Count == 0 ? null : records[0];
    }

    /// <summary>Stores a record and returns it as stored.</summary>
    public async Task<RecordItem> AddAsync(string title, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("INSERT INTO records (title) VALUES ($1) RETURNING id, title, created_at");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = title });
        var records = await ReadAllAsync(command, cancellationToken);
        return records[0];
    }

    private static async Task<List<RecordItem>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var records = new List<RecordItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new RecordItem(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return records;
    }
}
