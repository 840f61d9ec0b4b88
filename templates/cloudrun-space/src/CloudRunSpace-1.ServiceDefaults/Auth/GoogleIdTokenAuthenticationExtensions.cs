using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>Registers the verification of callers' Google ID tokens and the allowed-caller policy.</summary>
public static class GoogleIdTokenAuthenticationExtensions
{
    /// <summary>
    /// Adds the <see cref="GoogleIdTokenDefaults.Scheme"/> scheme (configuration section <c>Auth</c>) and the
    /// <see cref="GoogleIdTokenDefaults.AllowedCallerPolicy"/> policy: a valid token (else 401) whose verified
    /// e-mail is on <c>Auth__AllowedCallers</c> (else 403). Misconfiguration stops the service at start-up.
    /// </summary>
    public static WebApplicationBuilder AddGoogleIdTokenAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<GoogleIdTokenOptions>()
            .BindConfiguration(GoogleIdTokenOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GoogleIdTokenOptions>, GoogleIdTokenOptionsValidator>();
        builder.Services.AddSingleton<GoogleSigningKeys>();
        builder.Services.AddSingleton<VerifiedTokens>();
        // The 503 answer while the signing keys cannot be fetched is problem details.
        builder.Services.AddProblemDetails();

        // AddAuthentication() would also add Data Protection, whose key ring is created and read at start-up; a
        // bearer-token API never protects data, so only what a token handler needs is registered.
        builder.Services.AddAuthenticationCore(options => options.DefaultScheme = GoogleIdTokenDefaults.Scheme);
        builder.Services.AddWebEncoders();
        builder.Services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(builder.Services)
            .AddScheme<AuthenticationSchemeOptions, GoogleIdTokenHandler>(GoogleIdTokenDefaults.Scheme, null);
        builder.Services.AddAuthorization();
        builder.Services.AddOptions<AuthorizationOptions>()
            .Configure<IOptions<GoogleIdTokenOptions>, ILoggerFactory>((authorization, tokens, loggers) =>
                authorization.AddPolicy(GoogleIdTokenDefaults.AllowedCallerPolicy, BuildPolicy(tokens.Value, loggers)));
        return builder;
    }

    private static AuthorizationPolicy BuildPolicy(GoogleIdTokenOptions options, ILoggerFactory loggers)
    {
        if (!options.Enabled)
        {
            loggers.CreateLogger(typeof(GoogleIdTokenAuthenticationExtensions))
                .LogWarning("Caller verification is OFF (Auth__Enabled=false): acceptable only for a local run");
            return new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();
        }

        var allowed = options.AllowedCallerSet;
        return new AuthorizationPolicyBuilder(GoogleIdTokenDefaults.Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context =>
                context.User.HasClaim(GoogleIdTokenHandler.EmailVerifiedClaim, "true")
                && context.User.FindFirstValue(ClaimTypes.Email) is { } email
                && allowed.Contains(email))
            .Build();
    }
}
