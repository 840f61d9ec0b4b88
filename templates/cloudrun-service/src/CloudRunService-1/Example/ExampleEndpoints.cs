using System.Security.Claims;
#if (Database)
using Npgsql;
#endif

namespace CloudRunService_1.Example;

/// <summary>Example endpoints to replace with the service's own, for its invokers only: <c>GET /api/hello</c>.</summary>
public static class ExampleEndpoints
{
    /// <summary>Maps the example endpoints, all behind the allowed-caller policy.</summary>
    public static IEndpointRouteBuilder MapExampleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(GoogleIdTokenDefaults.AllowedCallerPolicy);
        api.MapGet("/hello", (ClaimsPrincipal caller, TimeProvider time) =>
            new Greeting($"Hello, {caller.FindFirstValue(ClaimTypes.Email)}.", time.GetUtcNow()));
#if (Database)
        // Reads the schema the space's migrations made (the backend's Migrations/Scripts, run by the migrate job).
        api.MapGet("/records/count", async (NpgsqlDataSource database, CancellationToken cancellationToken) =>
        {
            await using var command = database.CreateCommand("SELECT count(*) FROM records");
            return new RecordCount((long)(await command.ExecuteScalarAsync(cancellationToken))!);
        });
#endif
        return endpoints;
    }
}
