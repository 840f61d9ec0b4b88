using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

namespace CloudRunSpace_1.LocalCloud.FrontEnd;

/// <summary>Cloud Run's front end for one service, run locally with YARP.</summary>
public static class LocalFrontEndExtensions
{
    /// <summary>
    /// Adds the front end: requests go round-robin to <see cref="FrontEndOptions.Instances"/>, with the headers Google's
    /// front end adds, after the invoker check when the service is private.
    /// </summary>
    public static WebApplicationBuilder AddLocalFrontEnd(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(FrontEndOptions.Section).Get<FrontEndOptions>() ?? new FrontEndOptions();
        if (options.Instances.Count == 0)
        {
            throw new InvalidOperationException("FrontEnd__Instances__0 (the service's first instance URL) is not set.");
        }

        if (options.InvokerEmails.Count > 0 && (options.CertificatesUrl is null || string.IsNullOrWhiteSpace(options.Audience)))
        {
            throw new InvalidOperationException("A private service's front end needs FrontEnd__Audience and FrontEnd__CertificatesUrl.");
        }

        builder.Services.Configure<FrontEndOptions>(builder.Configuration.GetSection(FrontEndOptions.Section));
        builder.Services.AddHttpClient<IssuerKeys>();
        builder.Services.AddSingleton<InvokerCheck>();
        var destinations = options.Instances.Select((url, index) => (Id: $"instance-{index + 1}", Config: new DestinationConfig { Address = url.ToString() }))
            .ToDictionary(d => d.Id, d => d.Config);
        builder.Services.AddReverseProxy()
            .LoadFromMemory(
                [new RouteConfig { RouteId = "service", ClusterId = "service", Match = new RouteMatch { Path = "{**path}" } }],
                [new ClusterConfig { ClusterId = "service", LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin, Destinations = destinations }])
            .ConfigureHttpClient((_, handler) => handler.ActivityHeadersPropagator = null)
            .AddTransforms(CloudRunHeaders.Add);
        return builder;
    }

    /// <summary>The front end's pipeline: the invoker check, then the proxy.</summary>
    public static WebApplication MapLocalFrontEnd(this WebApplication app)
    {
        app.UseMiddleware<InvokerCheck>();
        app.MapReverseProxy();
        return app;
    }
}
