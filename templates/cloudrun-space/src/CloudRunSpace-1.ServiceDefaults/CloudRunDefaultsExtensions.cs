using CloudRunSpace_1.ServiceDefaults.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CloudRunSpace_1.ServiceDefaults;

/// <summary>
/// The platform concerns every Cloud Run service of the space shares: the port, logging, tracing,
/// health endpoints, error responses and shutdown.
/// </summary>
public static class CloudRunDefaultsExtensions
{
    /// <summary>The setting that turns OpenTelemetry on: the OTLP endpoint traces and metrics are exported to.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The tag of health checks that only say the process is alive (no dependencies).</summary>
    public const string LiveTag = "live";

    /// <summary>Liveness endpoint: the process answers.</summary>
    public const string LivePath = "/healthz/live";

    /// <summary>Readiness endpoint: the service's dependencies answer too.</summary>
    public const string ReadyPath = "/healthz/ready";

    /// <summary>
    /// Adds the Cloud Run defaults: listens on <c>PORT</c>, logs Cloud Logging JSON on Cloud Run (services and jobs),
    /// traces and measures with OpenTelemetry when <see cref="OtlpEndpointKey"/> is set, registers health checks and problem details, and
    /// shuts down gracefully well inside Cloud Run's 10 seconds.
    /// </summary>
    public static TBuilder AddCloudRunDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var environment = CloudRunEnvironment.FromConfiguration(builder.Configuration);
        // Resolved from the final configuration (a test host may add settings after this point).
        builder.Services.AddSingleton(services => CloudRunEnvironment.FromConfiguration(services.GetRequiredService<IConfiguration>()));

        // Cloud Run's contract: listen on all interfaces on the port it injects (8080 unless told otherwise).
        // An explicit PORT wins; without one, explicitly configured URLs or HTTP ports are respected.
        var explicitUrls = !string.IsNullOrEmpty(builder.Configuration["urls"]) || !string.IsNullOrEmpty(builder.Configuration["http_ports"]);
        if (environment.Port is not null || !explicitUrls)
        {
            builder.Configuration["urls"] = $"http://+:{environment.Port ?? CloudRunEnvironment.DefaultPort}";
        }

        if (environment.IsCloudRun || environment.IsCloudRunJob || builder.Configuration.GetValue<bool>("Logging:CloudLoggingJson"))
        {
            builder.Logging.AddCloudLoggingJsonConsole(environment.ProjectId);
        }

        // Traces and metrics cost start-up time, memory and CPU on every request; without an exporter nobody sees them
        // (trace ids in logs and traceparent propagation to the backend need no SDK), so they are only collected
        // when OTLP export is configured.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]))
        {
            builder.Services.AddOpenTelemetry()
                .WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsHealthRequest(context.Request))
                    .AddHttpClientInstrumentation())
                .WithMetrics(metrics => metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddMeter("System.Runtime"))
                .UseOtlpExporter();
        }

        CloudRunFrontEnd.AddFrontEndOptions(builder.Services);
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();

        // Cloud Run sends SIGTERM and kills the instance 10 s later: stop accepting work and drain in-flight
        // requests in less than that, so no request is cut off mid-way.
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(7));

        return builder;
    }

    /// <summary>
    /// Adds the request pipeline parts every service shares: the scheme and client address Cloud Run's front end
    /// forwards (and, on Cloud Run, HSTS and secure cookies), security headers, problem-details errors (no stack
    /// traces) and the health endpoints <see cref="LivePath"/> and <see cref="ReadyPath"/>.
    /// </summary>
    public static WebApplication UseCloudRunDefaults(this WebApplication app)
    {
        CloudRunFrontEnd.UseFrontEnd(app, app.Services.GetRequiredService<CloudRunEnvironment>());
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) })
            .AllowAnonymous();
        app.MapHealthChecks(ReadyPath).AllowAnonymous();
        return app;
    }

    private static bool IsHealthRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/healthz", StringComparison.OrdinalIgnoreCase);
}
