using CloudRunSpace_1.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace CloudRunSpace_1.Tests.ServiceDefaults;

/// <summary>The Cloud Run container contract, read from configuration.</summary>
public sealed class CloudRunEnvironmentTests
{
    [Fact]
    public void The_Cloud_Run_variables_are_read()
    {
        var environment = CloudRunEnvironment.FromConfiguration(Configuration(("K_SERVICE", "backend"), ("K_REVISION", "backend-00001-abc"), ("PORT", "9090"), ("GOOGLE_CLOUD_PROJECT", "acme")));

        Assert.True(environment.IsCloudRun);
        Assert.Equal(new CloudRunEnvironment("backend", "backend-00001-abc", 9090, "acme"), environment);
    }

    [Fact]
    public void Without_K_SERVICE_it_is_not_Cloud_Run()
    {
        var environment = CloudRunEnvironment.FromConfiguration(Configuration());

        Assert.False(environment.IsCloudRun);
        Assert.Null(environment.Port);
    }

    [Theory]
    [InlineData("eighty")]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    public void A_PORT_that_is_not_a_port_number_is_refused_with_a_clear_message(string port)
    {
        var error = Assert.Throws<InvalidOperationException>(() => CloudRunEnvironment.FromConfiguration(Configuration(("PORT", port))));

        Assert.Contains($"'{port}'", error.Message);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(value => new KeyValuePair<string, string?>(value.Key, value.Value))).Build();
}
