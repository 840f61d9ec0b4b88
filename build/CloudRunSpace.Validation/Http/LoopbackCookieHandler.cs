namespace CloudRunSpace.Validation.Http;

/// <summary>
/// Keeps one client's cookies and sends them back, Secure ones included: browsers treat http://127.0.0.1 as a secure
/// context, .NET's CookieContainer does not, and on Cloud Run the frontend marks every cookie Secure. Redirects are
/// not followed, so a check sees them.
/// </summary>
public sealed class LoopbackCookieHandler : DelegatingHandler
{
    private readonly Dictionary<string, string> _cookies = [];

    /// <summary>A handler over a fresh HttpClientHandler without its own cookie handling.</summary>
    public LoopbackCookieHandler()
        : base(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
    {
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_cookies)
        {
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            lock (_cookies)
            {
                foreach (var pair in values.Select(v => v.Split(';')[0].Split('=', 2)).Where(p => p.Length == 2))
                {
                    _cookies[pair[0]] = pair[1];
                }
            }
        }

        return response;
    }
}
