using System.Security.Claims;
using System.Text.Encodings.Web;
using Google.Apis.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Backend.Auth;

/// <summary>
/// Verifies the caller's Google ID token itself, beside Cloud Run's IAM check (defence in depth): the
/// RS256 signature against the issuer's JWKS, the issuer, the audience (this service's URL) and the
/// expiry. The token is never logged.
/// </summary>
public sealed class GoogleIdTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    IOptions<GoogleIdTokenOptions> tokenOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    /// <summary>The claim that says Google verified the e-mail.</summary>
    public const string EmailVerifiedClaim = "email_verified";

    private const string BearerPrefix = "Bearer ";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var options = tokenOptions.Value;
        var verification = new SignedTokenVerificationOptions
        {
            CertificatesUrl = options.CertificatesUrl,
            IssuedAtClockTolerance = options.ClockTolerance,
            ExpiryClockTolerance = options.ClockTolerance,
        };
        verification.TrustedAudiences.Add(options.Audience!);
        foreach (var issuer in GoogleIdTokenDefaults.GoogleIssuers)
        {
            verification.TrustedIssuers.Add(issuer);
        }

        try
        {
            var payload = await JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(
                header[BearerPrefix.Length..].Trim(), verification, Context.RequestAborted);
            var identity = new ClaimsIdentity(
                [
                    new Claim(ClaimTypes.NameIdentifier, payload.Subject ?? string.Empty),
                    new Claim(ClaimTypes.Email, payload.Email ?? string.Empty),
                    new Claim(EmailVerifiedClaim, payload.EmailVerified ? "true" : "false"),
                ],
                Scheme.Name);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
        }
        catch (InvalidJwtException exception)
        {
            // The reason (expired, wrong audience, bad signature...) helps operators; the token itself stays out.
            Logger.LogInformation("Rejected a caller's ID token: {Reason}", exception.Message);
            return AuthenticateResult.Fail(exception.Message);
        }
    }
}
