using System.Diagnostics;
using System.Globalization;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace CloudRunSpace_1.LocalCloud.FrontEnd;

/// <summary>
/// The headers Google's front end adds to every request it passes to a container: it ended TLS
/// (<c>X-Forwarded-Proto: https</c>), the client's address appended to <c>X-Forwarded-For</c>, and the trace the
/// request belongs to, both as W3C <c>traceparent</c> and as <c>X-Cloud-Trace-Context</c>; the Host header is the
/// service's own. Locally no TLS is ended, so a redirect the service builds to <c>https://</c> its own host is handed
/// to the browser with the local front end's <c>http://</c> instead.
/// </summary>
internal static class CloudRunHeaders
{
    public static void Add(TransformBuilderContext context)
    {
        context.UseDefaultForwarders = false;
        context.AddOriginalHost();
        context.AddXForwardedFor(action: ForwardedTransformActions.Append);
        context.AddRequestHeader("X-Forwarded-Proto", "https", append: false);
        context.AddRequestTransform(transform =>
        {
            var traceparent = TraceParent(transform.HttpContext);
            var parts = traceparent.Split('-');
            var spanId = ulong.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var headers = transform.ProxyRequest.Headers;
            headers.Remove("traceparent");
            headers.Remove("X-Cloud-Trace-Context");
            headers.TryAddWithoutValidation("traceparent", traceparent);
            headers.TryAddWithoutValidation("X-Cloud-Trace-Context", $"{parts[1]}/{spanId.ToString(CultureInfo.InvariantCulture)};o={(parts[3] == "01" ? 1 : 0)}");
            return ValueTask.CompletedTask;
        });
        context.AddResponseTransform(transform =>
        {
            // Which instance served the request: local only, so that tests can see the load spread.
            if (transform.HttpContext.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>()?.ProxiedDestination is { } destination)
            {
                transform.HttpContext.Response.Headers["X-Local-Instance"] = destination.DestinationId;
            }

            KeepRedirectOnThisFrontEnd(transform.HttpContext);
            return ValueTask.CompletedTask;
        });
    }

    // An absolute https:// Location to this front end's own host, from a service that was told it is behind TLS
    // (Blazor's NavigateTo builds one): the same URL with the scheme the browser reached this front end with.
    private static void KeepRedirectOnThisFrontEnd(HttpContext context)
    {
        var response = context.Response;
        if (context.Request.Scheme == Uri.UriSchemeHttp
            && Uri.TryCreate(response.Headers.Location.ToString(), UriKind.Absolute, out var location)
            && location.Scheme == Uri.UriSchemeHttps
            && string.Equals($"{location.Host}:{location.Port}", $"{context.Request.Host.Host}:{context.Request.Host.Port ?? 80}", StringComparison.OrdinalIgnoreCase))
        {
            response.Headers.Location = new UriBuilder(location) { Scheme = Uri.UriSchemeHttp, Port = location.Port }.Uri.AbsoluteUri;
        }
    }

    // The request's trace: this hop's span where one is recorded, else the caller's traceparent, else a new trace.
    private static string TraceParent(HttpContext context)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            return activity.Id!;
        }

        var incoming = context.Request.Headers["traceparent"].ToString();
        return IsTraceParent(incoming)
            ? incoming
            : $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
    }

    private static bool IsTraceParent(string value) =>
        value.Length == 55 && value.Split('-') is [{ Length: 2 }, { Length: 32 }, { Length: 16 }, { Length: 2 }];
}
