using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CloudRunSpace_1.ServiceDefaults;

/// <summary>
/// Browser-facing security headers on every response: a Content-Security-Policy that allows the service's own
/// scripts, styles and forms and nothing else (no inline script, no framing), no MIME sniffing, and no
/// referrer sent to other sites.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// Same-origin resources only. Razor Pages and Blazor static SSR need no inline script or style; Blazor's
    /// enhanced navigation (blazor.web.js, served from this origin) fetches from this origin too.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The referrer policy: the full URL within the site, nothing to other sites.</summary>
    public const string ReferrerPolicy = "same-origin";

    /// <summary>
    /// Adds the headers as the response starts, so error pages and status-code pages get them too (the exception
    /// handler clears headers set earlier). A value a page set itself is kept.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var headers = ((HttpResponse)state).Headers;
                headers.TryAdd("Content-Security-Policy", ContentSecurityPolicy);
                headers.TryAdd("X-Content-Type-Options", "nosniff");
                headers.TryAdd("Referrer-Policy", ReferrerPolicy);
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
}
