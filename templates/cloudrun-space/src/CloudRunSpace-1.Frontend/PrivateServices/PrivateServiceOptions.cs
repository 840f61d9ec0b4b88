namespace CloudRunSpace_1.Frontend.PrivateServices;

/// <summary>
/// Where one private service of the space is and how to call it: named options, one per service, bound from the
/// configuration section the client was registered with (<c>PrivateServices:NAME</c>, the backend's <c>Backend</c>).
/// </summary>
public sealed class PrivateServiceOptions
{
    /// <summary>The section under which the space's private services are configured, one subsection per manifest entry.</summary>
    public const string Section = "PrivateServices";

    /// <summary>The service's URL (e.g. <c>PrivateServices__orders__BaseUrl</c>): its Cloud Run URL in production.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The audience of the ID tokens (e.g. <c>PrivateServices__orders__Audience</c>); the base URL when not set.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Send a Google ID token with every call (default). A local run against a service without token
    /// verification turns this off.
    /// </summary>
    public bool SendIdToken { get; set; } = true;

    /// <summary>The audience actually used: <see cref="Audience"/>, else the base URL without a trailing slash.</summary>
    public string EffectiveAudience =>
        string.IsNullOrWhiteSpace(Audience) ? BaseUrl!.GetLeftPart(UriPartial.Authority) : Audience;
}
