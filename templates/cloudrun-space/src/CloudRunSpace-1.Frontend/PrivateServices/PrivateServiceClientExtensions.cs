using CloudRunSpace_1.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Frontend.PrivateServices;

/// <summary>Registers typed, resilient, ID-token-carrying clients of the space's private services.</summary>
public static class PrivateServiceClientExtensions
{
    /// <summary>
    /// Adds <typeparamref name="TClient"/>, a typed client of the private service <paramref name="name"/> (its entry in
    /// <c>space/</c>): base address and token audience from <c>PrivateServices:NAME</c> (or
    /// <paramref name="configurationSection"/>), timeouts, retries of idempotent calls only (a retried POST could store
    /// something twice) and a circuit breaker, with a fresh ID token for the service's audience on every attempt, and
    /// a readiness check that such a token can be had.
    /// </summary>
    /// <param name="builder">The frontend's builder.</param>
    /// <param name="name">The service's entry name, e.g. <c>orders</c>.</param>
    /// <param name="configurationSection">The section to bind instead of <c>PrivateServices:NAME</c>.</param>
    public static IHttpClientBuilder AddPrivateServiceClient<TClient>(this IHostApplicationBuilder builder, string name, string? configurationSection = null)
        where TClient : class
    {
        var section = configurationSection ?? $"{PrivateServiceOptions.Section}:{name}";
        var variable = section.Replace(":", "__", StringComparison.Ordinal);
        builder.Services.AddOptions<PrivateServiceOptions>(name)
            .BindConfiguration(section)
            .Validate(options => options.BaseUrl is { IsAbsoluteUri: true },
                $"{variable}__BaseUrl must be the {name} service's absolute URL (its Cloud Run URL, or http://127.0.0.1:PORT locally).")
            .ValidateOnStart();
        builder.Services.AddKeyedSingleton(name, (services, _) =>
            new IdTokenSource(Options(services, name).EffectiveAudience, services.GetRequiredService<CloudRunEnvironment>()));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration($"id-token-{name}",
            services => new IdTokenHealthCheck(services.GetRequiredKeyedService<IdTokenSource>(name), Options(services, name)),
            failureStatus: null, tags: null));

        var client = builder.Services.AddHttpClient<TClient>((services, http) => http.BaseAddress = Options(services, name).BaseUrl);
        client.AddStandardResilienceHandler(options =>
        {
            options.Retry.DisableForUnsafeHttpMethods();
            options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(4);
            options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(10);
            options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
        });
        // The client factory's own loggers write only at Information and below, which appsettings.json turns off for
        // System.Net.Http.HttpClient, yet they still open a logging scope on every call (they cost 14% of the page's
        // throughput under load). The typed client logs its failures itself.
        client.RemoveAllLoggers();
        // Added after the resilience handler, so it runs inside it: every retry gets a valid token.
        client.AddHttpMessageHandler(services => new IdTokenHandler(services.GetRequiredKeyedService<IdTokenSource>(name), Options(services, name)));
        return client;
    }

    private static PrivateServiceOptions Options(IServiceProvider services, string name) =>
        services.GetRequiredService<IOptionsMonitor<PrivateServiceOptions>>().Get(name);
}
