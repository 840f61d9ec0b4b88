using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>Stops the service at start-up when its caller verification is misconfigured.</summary>
public sealed class GoogleIdTokenOptionsValidator(CloudRunEnvironment environment) : IValidateOptions<GoogleIdTokenOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GoogleIdTokenOptions options)
    {
        if (!options.Enabled)
        {
            return environment.IsCloudRun
                ? ValidateOptionsResult.Fail("Auth__Enabled=false is refused on Cloud Run (K_SERVICE is set): the service must verify every caller's ID token.")
                : ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            errors.Add("Auth__Audience is not set: set it to this service's URL, the audience its callers' ID tokens are minted for.");
        }

        if (options.AllowedCallerSet.Count == 0)
        {
            errors.Add("Auth__AllowedCallers is empty: list the service-account e-mails allowed to call (comma-separated).");
        }

        if (!Uri.TryCreate(options.CertificatesUrl, UriKind.Absolute, out var certificates) || certificates.Scheme is not ("https" or "http"))
        {
            errors.Add($"Auth__CertificatesUrl '{options.CertificatesUrl}' is not an http(s) URL of a JWKS document.");
        }
        else if (certificates.Scheme == "http" && !certificates.IsLoopback && environment.IsCloudRun)
        {
            // Whoever can alter the key set on its way can sign tokens of their own. Plain http is for an issuer on
            // this machine (a local fake, or a sidecar), where nothing lies on the way.
            errors.Add($"Auth__CertificatesUrl '{options.CertificatesUrl}' is plain http, refused on Cloud Run (K_SERVICE is set): the signing keys must come over https (Google's are at {GoogleIdTokenDefaults.GoogleCertificatesUrl}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
