using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>
/// Verifies the caller's Google ID token itself, beside Cloud Run's IAM check (defence in depth): the
/// RS256 signature against the issuer's JWKS (<see cref="GoogleSigningKeys"/>), the issuer, the audience (this service's URL) and the
/// expiry. A token signed with a key the cache does not hold is checked again against a fresh key set before it is
/// refused. While the key set cannot be fetched and no cached key verifies the token, the caller gets 503 problem
/// details with Retry-After instead of 401. A token verified once is kept in <see cref="VerifiedTokens"/> until it
/// expires. The token is never logged.
/// </summary>
public sealed class GoogleIdTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    IOptions<GoogleIdTokenOptions> tokenOptions,
    GoogleSigningKeys signingKeys,
    VerifiedTokens verifiedTokens,
    IProblemDetailsService problemDetails,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    /// <summary>The claim that says Google verified the e-mail.</summary>
    public const string EmailVerifiedClaim = "email_verified";

    private const string BearerPrefix = "Bearer ";

    // Claims are read by their JWT names; no mapping to the long WS-* claim types.
    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

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
        var token = header[BearerPrefix.Length..].Trim();
        IList<SecurityKey> keys;
        TokenValidationResult result;
        try
        {
            keys = await signingKeys.GetAsync(Context.RequestAborted);
            if (verifiedTokens.Find(token, keys) is { } verified)
            {
                return Success(verified);
            }

            result = await ValidateAsync(token, keys, options);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException
                && await signingKeys.RefreshAsync(keys, Context.RequestAborted) is { } refreshed)
            {
                keys = refreshed;
                result = await ValidateAsync(token, keys, options);
            }
        }
        catch (SigningKeysUnavailableException unavailable)
        {
            // Answered in HandleChallengeAsync, should the endpoint need a caller.
            return AuthenticateResult.Fail(unavailable);
        }

        var failure = result.IsValid ? CheckIssuedAt((JsonWebToken)result.SecurityToken, options.ClockTolerance) : result.Exception?.Message;
        if (failure is not null)
        {
            // The reason (expired, wrong audience, bad signature...) helps operators; the token itself stays out
            // (IdentityModel hides token contents in its messages).
            Logger.LogInformation("Rejected a caller's ID token: {Reason}", failure);
            return AuthenticateResult.Fail(failure);
        }

        var payload = (JsonWebToken)result.SecurityToken;
        var caller = new VerifiedCaller(
            payload.Subject ?? string.Empty,
            payload.TryGetPayloadValue<string>("email", out var email) ? email : string.Empty,
            IsEmailVerified(payload),
            new DateTimeOffset(DateTime.SpecifyKind(payload.ValidTo, DateTimeKind.Utc)) + options.ClockTolerance,
            keys);
        verifiedTokens.Add(token, caller);
        return Success(caller);
    }

    private AuthenticateResult Success(VerifiedCaller caller)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, caller.Subject),
                new Claim(ClaimTypes.Email, caller.Email),
                new Claim(EmailVerifiedClaim, caller.EmailVerified ? "true" : "false"),
            ],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if ((await HandleAuthenticateOnceSafeAsync()).Failure is not SigningKeysUnavailableException unavailable)
        {
            await base.HandleChallengeAsync(properties);
            return;
        }

        var seconds = (int)Math.Ceiling(Math.Max(1, unavailable.RetryAfter.TotalSeconds));
        Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The caller's ID token cannot be verified right now.",
                Detail = $"The token issuer's signing keys could not be fetched. Try again in {seconds} s.",
            },
        });
    }

    private static Task<TokenValidationResult> ValidateAsync(string token, IList<SecurityKey> keys, GoogleIdTokenOptions options) =>
        Tokens.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuers = GoogleIdTokenDefaults.GoogleIssuers,
            ValidAudience = options.Audience,
            IssuerSigningKeys = keys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = options.ClockTolerance,
        });

    // Google's own verification rules beside the lifetime check: an "iat" claim that is not in the future.
    private static string? CheckIssuedAt(JsonWebToken token, TimeSpan tolerance) =>
        !token.TryGetPayloadValue<long>("iat", out _)
            ? "The token has no 'iat' claim."
            : token.IssuedAt > DateTime.UtcNow + tolerance ? "The token is issued in the future." : null;

    // Google writes email_verified as a JSON boolean; some issuers write the string "true".
    private static bool IsEmailVerified(JsonWebToken token) =>
        (token.TryGetPayloadValue<bool>("email_verified", out var verified) && verified)
        || (token.TryGetPayloadValue<string>("email_verified", out var text) && string.Equals(text, "true", StringComparison.OrdinalIgnoreCase));
}
