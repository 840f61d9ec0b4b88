using CloudRunSpace.SpaceChecks.Space;
using Microsoft.Playwright;

namespace CloudRunSpace.SpaceChecks.Smoke;

/// <summary>The space of the smoke checks, and Debian's chromium driven by Playwright.</summary>
public sealed class SmokeFixture : SpaceFixture
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The running chromium.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    /// <inheritdoc />
    public override async ValueTask InitializeAsync()
    {
        // The browser first: a missing chromium fails in a second, not after the space's start.
        var chromium = CheckSettings.ChromiumPath;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
        await base.InitializeAsync();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
            _browser = null;
        }

        _playwright?.Dispose();
        _playwright = null;
        await base.DisposeAsync();
    }
}
