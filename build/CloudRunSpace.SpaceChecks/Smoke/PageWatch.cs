using CloudRunSpace.SpaceChecks.Space;
using Microsoft.Playwright;

namespace CloudRunSpace.SpaceChecks.Smoke;

/// <summary>
/// A Chromium page on the space's public front end that notes what a person would see go wrong: console errors,
/// uncaught script errors, requests that failed, and 4xx/5xx answers to the page's own (same-origin) requests, such
/// as a missing stylesheet or favicon.
/// </summary>
public sealed class PageWatch : IAsyncDisposable
{
    private readonly List<string> _problems = [];
    private readonly List<string> _instances = [];
    private readonly SpaceFixture _space;
    private readonly IBrowserContext _context;

    private PageWatch(SpaceFixture space, IBrowserContext context, IPage page)
    {
        _space = space;
        _context = context;
        Page = page;
        var origin = space.Url(SpaceFixture.FrontendFrontEnd).GetLeftPart(UriPartial.Authority);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Note($"console error: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Note($"script error: {error}");
        page.RequestFailed += (_, request) => Note($"request failed: {request.Method} {request.Url}: {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Headers.TryGetValue("x-local-instance", out var instance))
            {
                lock (_instances)
                {
                    _instances.Add(instance.Replace("instance-", "frontend-", StringComparison.Ordinal));
                }
            }

            if (response.Status >= 400 && new Uri(response.Url).GetLeftPart(UriPartial.Authority) == origin)
            {
                Note($"{response.Status} for the page's own {response.Request.ResourceType} {response.Request.Method} {new Uri(response.Url).PathAndQuery}");
            }
        };
    }

    /// <summary>The page.</summary>
    public IPage Page { get; }

    /// <summary>What went wrong on the page so far, one line each ("" when nothing did).</summary>
    public string Problems
    {
        get
        {
            lock (_problems)
            {
                return _problems.Count == 0 ? "" : "\nWhat chromium saw:\n  " + string.Join("\n  ", _problems);
            }
        }
    }

    /// <summary>The frontend instances that served this page's requests so far.</summary>
    public IReadOnlyList<string> Instances
    {
        get
        {
            lock (_instances)
            {
                return _instances.Distinct().ToList();
            }
        }
    }

    /// <summary>Opens a page in a new browser context (its own cookies) on the space's public front end.</summary>
    public static async Task<PageWatch> OpenAsync(SmokeFixture space)
    {
        var context = await space.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = space.Url(SpaceFixture.FrontendFrontEnd).ToString() });
        return new PageWatch(space, context, await context.NewPageAsync());
    }

    /// <summary>
    /// Fails the test when anything went wrong on the page, its icon included.
    /// </summary>
    public async Task ExpectCleanAsync()
    {
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // Chromium fetches the page's icon outside the page's own requests (Playwright does not report it, a failure
        // shows only as a console error): ask for it as the browser does, so a missing icon is named.
        var icon = await Page.EvaluateAsync<string>("() => document.querySelector('link[rel~=\"icon\"]')?.href ?? new URL('/favicon.ico', location.href).href");
        var fetched = await Page.APIRequest.GetAsync(icon);
        if (fetched.Status >= 400)
        {
            Note($"{fetched.Status} for the page's icon {new Uri(icon).PathAndQuery} (the favicon a browser asks for)");
        }

        await Task.Delay(300);
        List<string> problems;
        lock (_problems)
        {
            problems = [.. _problems];
        }

        await _space.ExpectAsync(problems.Count == 0,
            $"the page at {Page.Url} showed {problems.Count} problem(s) in chromium:\n  {string.Join("\n  ", problems)}",
            [.. Instances, SpaceFixture.FrontendFrontEnd]);
    }

    private void Note(string problem)
    {
        lock (_problems)
        {
            _problems.Add(problem);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Page.CloseAsync();
        await _context.DisposeAsync();
    }
}
