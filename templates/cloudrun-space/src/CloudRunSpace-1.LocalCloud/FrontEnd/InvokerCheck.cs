using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.LocalCloud.FrontEnd;

/// <summary>
/// Cloud Run's IAM check of a private service, before the request reaches a container: a Google ID token for the
/// service's audience, signed by the issuer, whose e-mail holds the invoker role. No token or a caller without the
/// role: 403; a token that does not verify: 401. The token goes on to the container unchanged.
/// </summary>
internal sealed class InvokerCheck(IOptions<FrontEndOptions> options, IssuerKeys keys, ILogger<InvokerCheck> logger) : IMiddleware
{
    private static readonly string[] Issuers = ["https://accounts.google.com", "accounts.google.com"];
    private readonly JsonWebTokenHandler _handler = new();

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var settings = options.Value;
        if (settings.InvokerEmails.Count == 0 || await IsAllowedAsync(context, settings))
        {
            await next(context);
        }
    }

    private async Task<bool> IsAllowedAsync(HttpContext context, FrontEndOptions settings)
    {
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(header.Parameter))
        {
            return Refuse(context, StatusCodes.Status403Forbidden, "no ID token");
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuers = Issuers,
            ValidAudience = settings.Audience,
            IssuerSigningKeyResolver = (_, _, keyId, _) => keys.Find(keyId),
            ClockSkew = TimeSpan.FromMinutes(1),
        };
        var result = await _handler.ValidateTokenAsync(header.Parameter, parameters);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && await keys.RefreshAsync(context.RequestAborted))
        {
            result = await _handler.ValidateTokenAsync(header.Parameter, parameters);
        }

        if (!result.IsValid)
        {
            return Refuse(context, StatusCodes.Status401Unauthorized, result.Exception?.GetType().Name ?? "invalid ID token");
        }

        var email = result.Claims.TryGetValue("email", out var value) ? value as string : null;
        return email is not null && settings.InvokerEmails.Contains(email)
            || Refuse(context, StatusCodes.Status403Forbidden, $"{email ?? "a caller without e-mail"} is not an invoker");
    }

    private bool Refuse(HttpContext context, int status, string reason)
    {
        logger.LogInformation("Refused {Method} {Path} with {Status}: {Reason}", context.Request.Method, context.Request.Path, status, reason);
        context.Response.StatusCode = status;
        return false;
    }
}
