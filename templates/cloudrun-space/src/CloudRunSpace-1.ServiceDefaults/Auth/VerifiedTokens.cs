using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>
/// The ID tokens this service has verified, kept until they expire: a caller sends the same token for its lifetime
/// (an hour), so its later requests skip the parse and the RS256 signature check. An entry serves only the key set it
/// was verified with: once the keys are fetched again, every token is verified anew.
/// </summary>
public sealed class VerifiedTokens(TimeProvider time)
{
    // A space's callers are a few services holding one token each at a time; a full cache starts again.
    private const int Capacity = 1024;

    private readonly ConcurrentDictionary<string, VerifiedCaller> _callers = new(StringComparer.Ordinal);

    /// <summary>The caller a token was verified for, if it was with these keys and has not expired since.</summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="keys">The signing keys in use now.</param>
    public VerifiedCaller? Find(string token, IList<SecurityKey> keys) =>
        _callers.TryGetValue(token, out var caller) && ReferenceEquals(caller.Keys, keys) && time.GetUtcNow() < caller.ValidUntil
            ? caller
            : null;

    /// <summary>Keeps a token that has just been verified.</summary>
    /// <param name="token">The bearer token.</param>
    /// <param name="caller">Who it was issued to, until when it holds, and the keys that verified it.</param>
    public void Add(string token, VerifiedCaller caller)
    {
        if (_callers.Count >= Capacity)
        {
            _callers.Clear();
        }

        _callers[token] = caller;
    }
}

/// <summary>What a verified ID token says of its caller.</summary>
/// <param name="Subject">The token's subject.</param>
/// <param name="Email">The caller's e-mail (its service account).</param>
/// <param name="EmailVerified">Whether the issuer verified that e-mail.</param>
/// <param name="ValidUntil">The token's expiry plus the clock tolerance.</param>
/// <param name="Keys">The key set that verified it.</param>
public sealed record VerifiedCaller(string Subject, string Email, bool EmailVerified, DateTimeOffset ValidUntil, IList<SecurityKey> Keys);
