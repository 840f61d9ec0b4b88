using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudRunSpace_1.ServiceDefaults;

/// <summary>
/// What the service needs to know about Cloud Run's front end: it ends TLS and sends the request on over plain
/// HTTP with <c>X-Forwarded-Proto: https</c> and the client's address appended to <c>X-Forwarded-For</c>.
/// </summary>
internal static class CloudRunFrontEnd
{
    /// <summary>The setting that says how many proxies append to <c>X-Forwarded-For</c> in front of the service.</summary>
    public const string ProxyHopsKey = "FrontEnd:ProxyHops";

    /// <summary>
    /// Honours <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from the proxy hops in front of the service:
    /// <c>FrontEnd:ProxyHops</c>, 1 unless set. Served directly, that hop is Google's front end, which appends the
    /// client's address. Behind the external Application Load Balancer (the deploy's <c>EDGE=load-balancer</c> sets
    /// it to 2) the header ends with the client's address and then the load balancer's own, so the client is the
    /// second entry from the right; with one hop the load balancer's address would be taken for the client's.
    /// On Cloud Run Google's front end is the only way into the container, so it is trusted whatever its
    /// address; elsewhere only a proxy on loopback is (ASP.NET's default), such as the local front end.
    /// Cookies are <c>Secure</c> on a request that came over HTTPS, and always behind Cloud Run, where every browser
    /// request did.
    /// </summary>
    public static void AddFrontEndOptions(IServiceCollection services)
    {
        // Read from the resolved environment: a test host may add settings after AddCloudRunDefaults.
        services.AddOptions<ForwardedHeadersOptions>().Configure<CloudRunEnvironment, IConfiguration>((options, environment, configuration) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            var hops = configuration.GetValue(ProxyHopsKey, 1);
            if (hops is < 1 or > 2)
            {
                throw new InvalidOperationException($"{ProxyHopsKey} must be 1 (Cloud Run's front end) or 2 (behind the load balancer), not {hops}.");
            }

            options.ForwardLimit = hops;
            if (environment.IsCloudRun)
            {
                options.KnownIPNetworks.Clear();
                options.KnownProxies.Clear();
            }
        });
        // Cookies (antiforgery's among them, which ASP.NET leaves non-Secure by default) are Secure whenever the
        // request came over HTTPS as the front end tells it, and always on Cloud Run.
        services.AddOptions<CookiePolicyOptions>().Configure<CloudRunEnvironment>((options, environment) =>
            options.Secure = environment.IsCloudRun ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest);
        services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));
    }

    /// <summary>
    /// The front end's part of the pipeline, first of all: the request's scheme and client address as the browser
    /// saw them, HSTS on Cloud Run, and the secure-cookie policy.
    /// </summary>
    public static void UseFrontEnd(WebApplication app, CloudRunEnvironment environment)
    {
        app.UseForwardedHeaders();
        if (environment.IsCloudRun)
        {
            app.UseHsts();
        }

        app.UseCookiePolicy();
    }
}
