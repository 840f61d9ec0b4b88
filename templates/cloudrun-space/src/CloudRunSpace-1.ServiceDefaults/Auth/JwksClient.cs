using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>Fetches a JWKS document (a token issuer's key set) and reads its signing keys.</summary>
internal sealed class JwksClient(Uri url) : IDisposable
{
    // Google answers in well under a second; a caller waits for this fetch, so it gives up long before Cloud Run would.
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The document's address.</summary>
    public Uri Url => url;

    /// <summary>The signing keys the document publishes; at least one.</summary>
    /// <exception cref="HttpRequestException">The document could not be fetched (no connection, an error status).</exception>
    /// <exception cref="TaskCanceledException">The issuer took longer than the timeout.</exception>
    /// <exception cref="InvalidDataException">The document is not a key set, or holds no usable signing key.</exception>
    public async Task<IList<SecurityKey>> GetSigningKeysAsync(CancellationToken cancellationToken)
    {
        var document = await _http.GetStringAsync(url, cancellationToken);
        IList<SecurityKey> keys;
        try
        {
            keys = new JsonWebKeySet(document).GetSigningKeys();
        }
        catch (ArgumentException notJwks)
        {
            throw new InvalidDataException("The answer is not a JWKS document.", notJwks);
        }

        return keys.Count > 0 ? keys : throw new InvalidDataException("The key set holds no usable signing key.");
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
