namespace CloudRunSpace_1.Frontend.Backend;

/// <summary>Where the private backend is and how to call it (configuration section <c>Backend</c>).</summary>
public sealed class BackendOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Backend";

    /// <summary>The backend's URL (<c>Backend__BaseUrl</c>): its Cloud Run URL in production.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The audience of the ID tokens (<c>Backend__Audience</c>); the base URL when not set.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Send a Google ID token with every call (default). A local run against a backend without token
    /// verification turns this off.
    /// </summary>
    public bool SendIdToken { get; set; } = true;

    /// <summary>The audience actually used: <see cref="Audience"/>, else the base URL without a trailing slash.</summary>
    public string EffectiveAudience =>
        string.IsNullOrWhiteSpace(Audience) ? BaseUrl!.GetLeftPart(UriPartial.Authority) : Audience;
}
