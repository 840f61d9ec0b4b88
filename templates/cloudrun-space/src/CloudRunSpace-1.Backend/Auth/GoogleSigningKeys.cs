using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.Backend.Auth;

/// <summary>
/// The keys the ID token issuer signs with (its JWKS document), fetched on first use, not at start-up, and
/// cached: refreshed every hour, and sooner when a token names a key the cache does not know (a rotation).
/// </summary>
public sealed class GoogleSigningKeys : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly ConfigurationManager<JsonWebKeySet> _keys;

    /// <summary>Creates the cache for <see cref="GoogleIdTokenOptions.CertificatesUrl"/>.</summary>
    public GoogleSigningKeys(IOptions<GoogleIdTokenOptions> options)
    {
        var url = options.Value.CertificatesUrl;
        // Plain http only ever comes from configuration pointing at a local fake issuer (the validator allows it).
        var documents = new HttpDocumentRetriever(_http) { RequireHttps = url.StartsWith("https:", StringComparison.OrdinalIgnoreCase) };
        _keys = new ConfigurationManager<JsonWebKeySet>(url, new JwksRetriever(), documents)
        {
            AutomaticRefreshInterval = TimeSpan.FromHours(1),
            RefreshInterval = TimeSpan.FromMinutes(1),
        };
    }

    /// <summary>The current signing keys.</summary>
    public async Task<IList<SecurityKey>> GetAsync(CancellationToken cancellationToken) =>
        (await _keys.GetConfigurationAsync(cancellationToken)).GetSigningKeys();

    /// <summary>Asks for a fresh key set on the next use (at most once a minute).</summary>
    public void RequestRefresh() => _keys.RequestRefresh();

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private sealed class JwksRetriever : IConfigurationRetriever<JsonWebKeySet>
    {
        public async Task<JsonWebKeySet> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel) =>
            new(await retriever.GetDocumentAsync(address, cancel));
    }
}
