namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>
/// The token issuer's key set could not be fetched and no cached key can verify the token: the caller should try
/// again after <see cref="RetryAfter"/> (a 503, not a 401: the token may well be valid).
/// </summary>
public sealed class SigningKeysUnavailableException(TimeSpan retryAfter)
    : Exception("The token issuer's signing keys could not be fetched.")
{
    /// <summary>How long until the service asks the issuer again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
