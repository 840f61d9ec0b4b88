using CloudRunSpace_1.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CloudRunSpace_1.Backend.Records;

/// <summary>The records API: <c>/api/records</c>, callable only by the allowed callers.</summary>
public static class RecordsEndpoints
{
    /// <summary>The largest page a list request may ask for.</summary>
    public const int MaxLimit = 100;

    /// <summary>Largest request body accepted; more gets 413.</summary>
    public const long MaxRequestBodyBytes = 16 * 1024;

    /// <summary>Maps the records endpoints, all behind the allowed-caller policy.</summary>
    public static IEndpointRouteBuilder MapRecordsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var records = endpoints.MapGroup("/api/records").RequireAuthorization(GoogleIdTokenDefaults.AllowedCallerPolicy);
        records.MapGet("/", ListAsync);
        records.MapGet("/{id:long}", FindAsync);
        records.MapPost("/", AddAsync).WithMetadata(new RequestSizeLimitAttribute(MaxRequestBodyBytes));
        return endpoints;
    }

    private static async Task<Results<Ok<IReadOnlyList<RecordItem>>, ValidationProblem>> ListAsync(
        RecordStore store, CancellationToken cancellationToken, int limit = 50)
    {
        if (limit is < 1 or > MaxLimit)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["limit"] = [$"limit must be from 1 to {MaxLimit}."],
            });
        }

        return TypedResults.Ok(await store.ListAsync(limit, cancellationToken));
    }

    private static async Task<Results<Ok<RecordItem>, ProblemHttpResult>> FindAsync(
        long id, RecordStore store, CancellationToken cancellationToken)
    {
        var record = await store.FindAsync(id, cancellationToken);
        return record is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"There is no record {id}.")
            : TypedResults.Ok(record);
    }

    private static async Task<Results<Created<RecordItem>, ProblemHttpResult>> AddAsync(
        NewRecord request, RecordStore store, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            // Well-formed JSON that breaks the rules: 422, so callers can tell it from malformed JSON (400).
            return TypedResults.Problem(new HttpValidationProblemDetails(errors)
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "The record is not valid.",
            });
        }

        var record = await store.AddAsync(request.Title!.Trim(), cancellationToken);
        return TypedResults.Created($"/api/records/{record.Id}", record);
    }
}
