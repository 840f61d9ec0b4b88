using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Frontend.Backend;

/// <summary>
/// Readiness: the frontend can get an ID token for the backend (the metadata server answers). Without one every
/// page would fail, so the instance should not get traffic; it turns ready by itself once a token comes.
/// </summary>
public sealed class IdTokenHealthCheck(IdTokenSource tokens, IOptions<BackendOptions> options) : IHealthCheck
{
    /// <summary>The longest a readiness probe waits for the metadata server.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.SendIdToken)
        {
            return HealthCheckResult.Healthy("ID tokens are off (local run).");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            // Cached by the source: this asks the metadata server only when there is no valid token yet.
            await tokens.GetTokenAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The message only: it names the failure (unreachable, refused...), never a token.
            return HealthCheckResult.Unhealthy($"No ID token for the backend: {exception.Message}");
        }
    }
}
