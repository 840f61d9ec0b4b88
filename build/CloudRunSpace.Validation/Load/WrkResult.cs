namespace CloudRunSpace.Validation.Load;

/// <summary>What one wrk run measured (from its <c>--latency</c> output).</summary>
/// <param name="Requests">Requests completed.</param>
/// <param name="RequestsPerSecond">Requests per second over the run.</param>
/// <param name="P50Milliseconds">Median latency.</param>
/// <param name="P99Milliseconds">99th percentile latency.</param>
/// <param name="SocketErrors">connect + read + write + timeout errors.</param>
/// <param name="Non2xxOr3xx">Answers that were neither 2xx nor 3xx.</param>
public sealed record WrkResult(
    long Requests, double RequestsPerSecond, double P50Milliseconds, double P99Milliseconds, int SocketErrors, int Non2xxOr3xx)
{
    /// <summary>
    /// What went wrong, or null: socket errors and non-2xx/3xx answers. Failures are cheap, so a rate that includes
    /// them measures the wrong thing.
    /// </summary>
    public string? Errors => SocketErrors > 0 || Non2xxOr3xx > 0
        ? $"{SocketErrors} socket errors and {Non2xxOr3xx} non-2xx/3xx answers of {Requests} requests"
        : null;
}
