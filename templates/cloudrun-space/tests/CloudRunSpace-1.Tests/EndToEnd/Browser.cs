using System.Net;

namespace CloudRunSpace_1.Tests.EndToEnd;

/// <summary>What one response showed a browser: status, body, cookies set, redirect, and which instance served it.</summary>
public sealed record PageResponse(HttpStatusCode Status, string Body, IReadOnlyList<string> SetCookies, Uri? Location, string Instance);

/// <summary>
/// A browser's round trips through a front end: it keeps cookies, follows no redirect, reads the serving instance.
/// Like Chromium and Firefox, it sends <c>Secure</c> cookies to http://localhost (a secure context), which .NET's
/// cookie container would not.
/// </summary>
public sealed class Browser(Uri frontEnd) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
    {
        BaseAddress = frontEnd,
        Timeout = TimeSpan.FromSeconds(30),
    };
    private readonly Dictionary<string, string> _cookies = [];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>GETs a page, optionally within the given W3C trace.</summary>
    public async Task<PageResponse> GetAsync(string path, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        return await SendAsync(request);
    }

    /// <summary>Posts a form as a browser does.</summary>
    public async Task<PageResponse> PostAsync(string path, Dictionary<string, string> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        return await SendAsync(request);
    }

    private async Task<PageResponse> SendAsync(HttpRequestMessage request)
    {
        if (_cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(cookie => $"{cookie.Key}={cookie.Value}")));
        }

        using var response = await _http.SendAsync(request, Cancellation);
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        foreach (var pair in cookies.Select(cookie => cookie.Split(';')[0].Split('=', 2)))
        {
            _cookies[pair[0]] = pair[1];
        }

        var instance = response.Headers.TryGetValues("X-Local-Instance", out var served) ? served.Single() : "(none)";
        return new PageResponse(response.StatusCode, await response.Content.ReadAsStringAsync(Cancellation), cookies, response.Headers.Location, instance);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
