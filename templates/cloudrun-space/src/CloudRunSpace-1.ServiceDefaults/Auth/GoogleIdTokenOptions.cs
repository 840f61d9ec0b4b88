namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>
/// How a private service verifies its callers (configuration section <c>Auth</c>, e.g. <c>Auth__Audience</c>).
/// </summary>
public sealed class GoogleIdTokenOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Auth";

    /// <summary>
    /// Verify tokens (default). Turning it off is for local runs only: the service refuses to start
    /// without verification on Cloud Run.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The audience tokens must be minted for: this service's own URL.</summary>
    public string? Audience { get; set; }

    /// <summary>Comma-separated e-mails of the service accounts allowed to call (its invokers').</summary>
    public string? AllowedCallers { get; set; }

    /// <summary>The JWKS URL of the signing keys; Google's by default, a fake issuer's in tests.</summary>
    public string CertificatesUrl { get; set; } = GoogleIdTokenDefaults.GoogleCertificatesUrl;

    /// <summary>Clock skew tolerated on the issued-at and expiry times.</summary>
    public TimeSpan ClockTolerance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The allowed caller e-mails, parsed (case-insensitive, as e-mail addresses compare).</summary>
    public IReadOnlySet<string> AllowedCallerSet =>
        (AllowedCallers ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
}
