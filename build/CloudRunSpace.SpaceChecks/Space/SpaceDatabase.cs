using Npgsql;

namespace CloudRunSpace.SpaceChecks.Space;

/// <summary>The space's PostgreSQL, reached with the connection string the AppHost gave the backend.</summary>
public static class SpaceDatabase
{
    /// <summary>The access token the local metadata server hands out: the IAM database role's password.</summary>
    public const string LocalAccessToken = "ya29.fake-access-token";

    /// <summary>The backend's ConnectionStrings__Database, as DCP started it (its environment in the snapshot).</summary>
    public static string BackendConnectionString(SpaceFixture space)
    {
        var value = space.Snapshot(SpaceFixture.Backend).EnvironmentVariables
            .FirstOrDefault(e => e.Name == "ConnectionStrings__Database")?.Value;
        return value ?? throw new InvalidOperationException("The backend's environment has no ConnectionStrings__Database.");
    }

    /// <summary>The database password of the space (in IAM mode: none, the access token is the password).</summary>
    public static string? Password(SpaceFixture space) =>
        new NpgsqlConnectionStringBuilder(BackendConnectionString(space)).Password;

    /// <summary>Runs a scalar query as the backend's role.</summary>
    public static async Task<T> ScalarAsync<T>(SpaceFixture space, string sql, IReadOnlyDictionary<string, object> parameters, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(BackendConnectionString(space)) { Pooling = false, Timeout = 10 };
        builder.Password ??= LocalAccessToken;
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The titles stored that start with <paramref name="prefix"/>, with how often each is stored.</summary>
    public static async Task<Dictionary<string, long>> TitlesAsync(SpaceFixture space, string prefix, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(BackendConnectionString(space)) { Pooling = false, Timeout = 10 };
        builder.Password ??= LocalAccessToken;
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT title, count(*) FROM records WHERE starts_with(title, @prefix) GROUP BY title", connection);
        command.Parameters.AddWithValue("prefix", prefix);
        var titles = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            titles[reader.GetString(0)] = reader.GetInt64(1);
        }

        return titles;
    }
}
