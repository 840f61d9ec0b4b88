using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.LocalCloud.FrontEnd;

/// <summary>The issuer's signing keys (JWKS), fetched once and again when a token names a key not seen yet.</summary>
internal sealed class IssuerKeys(IOptions<FrontEndOptions> options, HttpClient http)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile JsonWebKeySet? _keys;

    public IEnumerable<SecurityKey> Find(string? keyId)
    {
        var keys = _keys?.GetSigningKeys() ?? [];
        return keyId is null ? keys : keys.Where(key => key.KeyId == keyId);
    }

    /// <summary>Fetches the key set; false when it could not be had.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        var url = options.Value.CertificatesUrl ?? throw new InvalidOperationException("FrontEnd__CertificatesUrl is not set.");
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            _keys = new JsonWebKeySet(await http.GetStringAsync(url, cancellationToken));
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
