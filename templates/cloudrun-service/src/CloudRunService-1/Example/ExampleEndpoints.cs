using System.Security.Claims;

namespace CloudRunService_1.Example;

/// <summary>An example endpoint to replace with the service's own: <c>GET /api/hello</c>, for its invokers only.</summary>
public static class ExampleEndpoints
{
    /// <summary>Maps the example endpoints, all behind the allowed-caller policy.</summary>
    public static IEndpointRouteBuilder MapExampleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(GoogleIdTokenDefaults.AllowedCallerPolicy);
        api.MapGet("/hello", (ClaimsPrincipal caller, TimeProvider time) =>
            new Greeting($"Hello, {caller.FindFirstValue(ClaimTypes.Email)}.", time.GetUtcNow()));
        return endpoints;
    }
}
