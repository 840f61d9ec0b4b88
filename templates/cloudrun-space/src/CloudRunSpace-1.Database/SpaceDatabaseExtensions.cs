using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CloudRunSpace_1.Database;

/// <summary>Signs a service or job in to the space's PostgreSQL database (Cloud SQL on Google Cloud).</summary>
public static class SpaceDatabaseExtensions
{
    /// <summary>The name of the connection string: configuration key <c>ConnectionStrings__Database</c>.</summary>
    public const string ConnectionStringName = "Database";

    /// <summary>
    /// Adds one <see cref="NpgsqlDataSource"/> for the whole process (it owns the connection pool), the readiness check
    /// of the database, Npgsql tracing and metrics, and a quick 503 for requests that meet a database outage.
    /// </summary>
    public static TBuilder AddSpaceDatabase<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Built on first use, not at start-up: a cold start should not wait for the database.
        builder.Services.AddSingleton(CreateDataSource);
#if (UseIamAuth)
        builder.Services.AddSingleton<CloudSqlIamPasswordProvider>();
#endif
        builder.Services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();

        builder.Services.AddHealthChecks().AddNpgSql(timeout: TimeSpan.FromSeconds(2));
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql());
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter("Npgsql"));
        return builder;
    }

    private static NpgsqlDataSource CreateDataSource(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"No database connection string: set ConnectionStrings__{ConnectionStringName} (Secret Manager provides it on Cloud Run; the AppHost sets it locally).");
        }

        // The slim builder carries only the basic type handlers (numbers, text, timestamps), which keeps Native AOT
        // binaries small; features beyond those would be opted into here (e.g. EnableArrays).
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        ApplyDefaults(builder.ConnectionStringBuilder, connectionString);
        // Built-in types only, so the first connection need not read the database's type catalogue (a round trip and a
        // cold-start cost). Remove this when mapping PostgreSQL enums, composites or extension types such as citext.
        builder.ConfigureTypeLoading(typeLoading => typeLoading.EnableTypeLoading(false));
        builder.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>());
#if (UseIamAuth)
        services.GetRequiredService<CloudSqlIamPasswordProvider>().ConfigureDataSource(builder);
#endif
        return builder.Build();
    }

    // Defaults for a Cloud Run service; explicit values in the connection string still win.
    private static void ApplyDefaults(NpgsqlConnectionStringBuilder settings, string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        // When the database is down a request should get a 503 in seconds, not hang for Npgsql's default 15 s
        // connect and 30 s command timeouts.
        if (!given.Contains("Timeout"))
        {
            settings.Timeout = 3;
        }

        if (!given.Contains("CommandTimeout"))
        {
            settings.CommandTimeout = 10;
        }
    }
}
