using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CloudRunSpace_1.ServiceDefaults.Auth;

/// <summary>
/// The keys the ID token issuer signs with (its JWKS document at <see cref="GoogleIdTokenOptions.CertificatesUrl"/>),
/// fetched on first use, not at start-up, and cached. The cached set is refreshed in the background once it is an
/// hour old, and at once when a token names a key it does not hold (a key rotation), at most once per
/// <see cref="MinimumFetchInterval"/> so that tokens with made-up key ids cannot make the service flood the issuer.
/// One fetch at a time: concurrent callers wait for the same one. After a failed fetch the issuer is left alone for
/// <see cref="MinimumFetchInterval"/>; meanwhile the cached keys still serve.
/// </summary>
public sealed class GoogleSigningKeys : IDisposable
{
    /// <summary>
    /// The shortest time between two fetches that a token with an unknown key id forces, and the time the service
    /// waits after a failed fetch before it asks again (the Retry-After of a 503 meanwhile).
    /// </summary>
    public static readonly TimeSpan MinimumFetchInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan RefreshAfter = TimeSpan.FromHours(1);

    private readonly JwksClient _jwks;
    private readonly TimeProvider _time;
    private readonly ILogger<GoogleSigningKeys> _logger;
    private readonly Lock _gate = new();
    private KeySet? _current;
    private Task<KeySet?>? _fetch;
    private DateTimeOffset? _failedAt;
    private DateTimeOffset _forcedAt = DateTimeOffset.MinValue;

    /// <summary>Creates the cache for <see cref="GoogleIdTokenOptions.CertificatesUrl"/>.</summary>
    public GoogleSigningKeys(IOptions<GoogleIdTokenOptions> options, TimeProvider time, ILogger<GoogleSigningKeys> logger)
    {
        _jwks = new JwksClient(new Uri(options.Value.CertificatesUrl));
        _time = time;
        _logger = logger;
    }

    /// <summary>The cached signing keys, fetched first when there are none yet.</summary>
    /// <exception cref="SigningKeysUnavailableException">No key set is cached and none can be fetched.</exception>
    public async Task<IList<SecurityKey>> GetAsync(CancellationToken cancellationToken)
    {
        Task<KeySet?> fetch;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_current is { } current)
            {
                if (now - current.FetchedAt >= RefreshAfter && RetryAt() <= now)
                {
                    _fetch ??= StartFetch();
                }

                return current.Keys;
            }

            if (_fetch is null && RetryAt() > now)
            {
                throw Unavailable(now);
            }

            fetch = _fetch ??= StartFetch();
        }

        return (await fetch.WaitAsync(cancellationToken))?.Keys ?? throw UnavailableNow();
    }

    /// <summary>
    /// A newer key set for a token whose key id <paramref name="tried"/> did not hold: one another caller fetched
    /// meanwhile, or one fetched now; null when a forced fetch was made less than <see cref="MinimumFetchInterval"/> ago.
    /// </summary>
    /// <exception cref="SigningKeysUnavailableException">The key set cannot be fetched.</exception>
    public async Task<IList<SecurityKey>?> RefreshAsync(IList<SecurityKey> tried, CancellationToken cancellationToken)
    {
        Task<KeySet?> fetch;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_current is { } current && !ReferenceEquals(current.Keys, tried))
            {
                return current.Keys;
            }

            if (_fetch is { } running)
            {
                fetch = running;
            }
            else if (RetryAt() > now)
            {
                throw Unavailable(now);
            }
            else if (now - _forcedAt < MinimumFetchInterval)
            {
                return null;
            }
            else
            {
                _forcedAt = now;
                fetch = _fetch = StartFetch();
            }
        }

        return (await fetch.WaitAsync(cancellationToken))?.Keys ?? throw UnavailableNow();
    }

    /// <inheritdoc />
    public void Dispose() => _jwks.Dispose();

    // Runs apart from the caller that started it: a caller that gives up does not cancel it for the others waiting.
    // Called with the gate held; the fetch takes the gate only when it has ended, so _fetch is set by then.
    private Task<KeySet?> StartFetch() => Task.Run(async () =>
    {
        KeySet? fetched = null;
        try
        {
            var keys = await _jwks.GetSigningKeysAsync(CancellationToken.None);
            fetched = new KeySet(keys, _time.GetUtcNow());
            _logger.LogInformation("Fetched {Count} signing keys of the token issuer from {Url}", keys.Count, _jwks.Url);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or InvalidDataException)
        {
            _logger.LogWarning(
                "Could not fetch the token issuer's signing keys from {Url}: {Reason}; asking again in {Seconds} s",
                _jwks.Url, exception.Message, MinimumFetchInterval.TotalSeconds);
        }
        finally
        {
            lock (_gate)
            {
                if (fetched is not null)
                {
                    _current = fetched;
                    _failedAt = null;
                }
                else
                {
                    _failedAt = _time.GetUtcNow();
                }

                _fetch = null;
            }
        }

        return fetched;
    });

    private DateTimeOffset RetryAt() => _failedAt + MinimumFetchInterval ?? DateTimeOffset.MinValue;

    private SigningKeysUnavailableException UnavailableNow()
    {
        lock (_gate)
        {
            return Unavailable(_time.GetUtcNow());
        }
    }

    private SigningKeysUnavailableException Unavailable(DateTimeOffset now)
    {
        var wait = RetryAt() - now;
        return new SigningKeysUnavailableException(wait > TimeSpan.Zero ? wait : MinimumFetchInterval);
    }

    private sealed record KeySet(IList<SecurityKey> Keys, DateTimeOffset FetchedAt);
}
