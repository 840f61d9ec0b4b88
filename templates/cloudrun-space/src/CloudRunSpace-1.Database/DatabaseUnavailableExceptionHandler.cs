using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudRunSpace_1.Database;

/// <summary>
/// Turns "the database cannot be reached" into a quick 503 problem response, so callers can tell a passing
/// outage (retry later) from a bug (500).
/// </summary>
public sealed class DatabaseUnavailableExceptionHandler(
    IProblemDetailsService problemDetails,
    ILogger<DatabaseUnavailableExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsDatabaseUnavailable(exception))
        {
            return false;
        }

        logger.LogWarning(exception, "The database is unavailable");
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is temporarily unavailable.",
                Detail = "Try again in a few seconds.",
            },
        });
    }

    /// <summary>True for failures to reach the database, as opposed to errors in what was asked of it.</summary>
    public static bool IsDatabaseUnavailable(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal), // operator intervention: shutdown
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException or IOException } => true,
        // Cloud SQL IAM login: no access token from the metadata server to sign in with.
        NpgsqlException { InnerException: HttpRequestException or TaskCanceledException or InvalidOperationException } => true,
        TimeoutException => true,
        _ => false,
    };
}
