using CloudRunSpace_1.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CloudRunSpace_1.Tests.ServiceDefaults;

/// <summary>OpenTelemetry is set up only when traces and metrics have somewhere to go (an OTLP endpoint).</summary>
public sealed class OpenTelemetrySwitchTests
{
    [Fact]
    public void Without_an_OTLP_endpoint_no_tracer_or_meter_provider_is_built()
    {
        using var app = BuildApp(otlpEndpoint: null);

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void With_an_OTLP_endpoint_traces_and_metrics_are_collected()
    {
        using var app = BuildApp(otlpEndpoint: "http://127.0.0.1:4317");

        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }

    private static WebApplication BuildApp(string? otlpEndpoint)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration[CloudRunDefaultsExtensions.OtlpEndpointKey] = otlpEndpoint;
        builder.AddCloudRunDefaults();
        return builder.Build();
    }
}
