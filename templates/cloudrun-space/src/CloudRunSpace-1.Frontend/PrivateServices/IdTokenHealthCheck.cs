using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CloudRunSpace_1.Frontend.PrivateServices;

/// <summary>
/// Readiness: the frontend can get an ID token for one private service (the metadata server answers). Without one
/// every call to it would fail, so the instance should not get traffic; it turns ready by itself once a token comes.
/// </summary>
public sealed class IdTokenHealthCheck(IdTokenSource tokens, PrivateServiceOptions options) : IHealthCheck
{
    /// <summary>The longest a readiness probe waits for the metadata server.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.SendIdToken)
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
            return HealthCheckResult.Unhealthy($"No ID token for {options.EffectiveAudience}: {exception.Message}");
        }
    }
}
