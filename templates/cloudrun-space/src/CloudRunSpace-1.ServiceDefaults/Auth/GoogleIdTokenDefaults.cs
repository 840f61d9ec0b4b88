namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>Names used by the Google ID token authentication.</summary>
public static class GoogleIdTokenDefaults
{
    /// <summary>The authentication scheme.</summary>
    public const string Scheme = "GoogleIdToken";

    /// <summary>The authorization policy: a verified token of an allowed caller.</summary>
    public const string AllowedCallerPolicy = "AllowedCaller";

    /// <summary>Google's JWKS endpoint, the keys Google signs ID tokens with.</summary>
    public const string GoogleCertificatesUrl = "https://www.googleapis.com/oauth2/v3/certs";

    /// <summary>The issuers of Google ID tokens.</summary>
    public static readonly IReadOnlyList<string> GoogleIssuers = ["https://accounts.google.com", "accounts.google.com"];
}
