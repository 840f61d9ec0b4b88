using CloudRunSpace_1.Tests.Fakes;
using Microsoft.Extensions.Options;

namespace CloudRunSpace_1.Tests.Backend;

/// <summary>A misconfigured backend refuses to start, with a message that says what to fix.</summary>
public sealed class StartupValidationTests(FakeGoogle google)
{
    private const string UnusedDatabase = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    [Fact]
    public async Task Verification_off_is_refused_on_Cloud_Run()
    {
        await using var backend = new BackendHost(UnusedDatabase, google, new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "false",
            ["K_SERVICE"] = "backend",
        });

        var error = Assert.Throws<OptionsValidationException>(() => backend.CreateClient());
        Assert.Contains("refused on Cloud Run", error.Message);
    }

    [Fact]
    public async Task Verification_off_is_allowed_outside_Cloud_Run()
    {
        await using var backend = new BackendHost(UnusedDatabase, google, new Dictionary<string, string?> { ["Auth:Enabled"] = "false" });

        var response = await backend.CreateClient().GetAsync("/healthz/live", TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("Auth:Audience", "Auth__Audience")]
    [InlineData("Auth:AllowedCallers", "Auth__AllowedCallers")]
    public async Task A_missing_auth_setting_stops_the_start_naming_it(string key, string named)
    {
        await using var backend = new BackendHost(UnusedDatabase, google, new Dictionary<string, string?> { [key] = "" });

        var error = Assert.Throws<OptionsValidationException>(() => backend.CreateClient());
        Assert.Contains(named, error.Message);
    }
}
