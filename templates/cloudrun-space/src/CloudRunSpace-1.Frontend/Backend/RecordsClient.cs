using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CloudRunSpace_1.Frontend.Backend;

/// <summary>The typed client of the backend's records API.</summary>
public sealed class RecordsClient(HttpClient http, ILogger<RecordsClient> logger)
{
    /// <summary>The newest records.</summary>
    /// <exception cref="BackendUnavailableException">The backend cannot serve now.</exception>
    public async Task<IReadOnlyList<RecordItem>> ListAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/records?limit=50"), cancellationToken);
        return await response.Content.ReadFromJsonAsync<List<RecordItem>>(cancellationToken) ?? [];
    }

    /// <summary>Adds a record; the backend is the judge of what is valid.</summary>
    /// <exception cref="RecordRejectedException">The backend refused the record (422).</exception>
    /// <exception cref="BackendUnavailableException">The backend cannot serve now.</exception>
    public async Task<RecordItem> AddAsync(string title, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/records") { Content = JsonContent.Create(new { title }) };
        using var response = await SendAsync(request, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<RecordItem>(cancellationToken))!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                              or TaskCanceledException { CancellationToken.IsCancellationRequested: false })
        {
            logger.LogWarning(exception, "The backend could not be reached");
            throw new BackendUnavailableException("The backend could not be reached.", exception);
        }

        if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            var problem = await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>(cancellationToken);
            response.Dispose();
            throw new RecordRejectedException(problem?.Errors.AsReadOnly() ?? new Dictionary<string, string[]>().AsReadOnly());
        }

        if (!response.IsSuccessStatusCode)
        {
            // 401/403 here mean a deployment mistake (audience, invoker binding, allow-list): log it loudly.
            logger.LogError("The backend answered {Method} {Path} with {Status}", request.Method, request.RequestUri, (int)response.StatusCode);
            response.Dispose();
            throw new BackendUnavailableException($"The backend answered {(int)response.StatusCode}.");
        }

        return response;
    }
}
