using CloudRunSpace_1.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>The backend's connection defaults fail fast; values in the connection string win.</summary>
public sealed class DataSourceDefaultsTests(FakeGoogle google)
{
    [Fact]
    public async Task Unset_values_get_the_cloud_run_defaults()
    {
        await using var backend = new BackendHost("Host=127.0.0.1;Port=1;Username=nobody;Database=none", google);

        var settings = new NpgsqlConnectionStringBuilder(backend.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);

        Assert.Equal(3, settings.Timeout);
        Assert.Equal(10, settings.CommandTimeout);
    }

    [Fact]
    public async Task Values_in_the_connection_string_win()
    {
        await using var backend = new BackendHost(
            "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=7;Command Timeout=20", google);

        var settings = new NpgsqlConnectionStringBuilder(backend.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);

        Assert.Equal(7, settings.Timeout);
        Assert.Equal(20, settings.CommandTimeout);
    }
}
