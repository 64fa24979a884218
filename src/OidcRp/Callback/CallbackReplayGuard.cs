using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace OidcRp.Callback;

/// <summary>
/// Makes each authorization response usable once: the first callback carrying a given state redeems
/// its code; a replayed or concurrently double-submitted one is refused before the token endpoint is
/// called. Keyed by the authorization code, held only as a SHA-256 hash (never the code itself), for as
/// long as the stock handler's correlation cookie can live. In-memory, so per instance: behind a load balancer without sticky
/// sessions a replay that lands on another instance is caught only by the OP's own single-use codes.
/// </summary>
internal sealed class CallbackReplayGuard(TimeProvider time)
{
    /// <summary>The stock correlation cookie's default lifetime: a callback older than this fails its correlation check anyway.</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    // Entries come only from callbacks whose state and correlation already passed, so genuine logins
    // bound their number; the cap is a backstop.
    internal const int MaxEntries = 200_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Lock _pruneGate = new();
    private DateTimeOffset _nextPrune;

    /// <summary>True for the first callback of this flow; false for every later one within the lifetime.</summary>
    public bool TryConsume(string providerId, string code)
    {
        var now = time.GetUtcNow();
        Prune(now);
        var key = providerId + ":" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(code)));
        var expires = now + Lifetime;
        while (true)
        {
            if (_seen.TryAdd(key, expires))
            {
                return true;
            }
            if (_seen.TryGetValue(key, out var existing) && existing > now)
            {
                return false;
            }
            if (_seen.TryUpdate(key, expires, existing))
            {
                return true; // an expired entry: the state is past its correlation lifetime, let the handler judge it
            }
        }
    }

    private void Prune(DateTimeOffset now)
    {
        if (now < _nextPrune && _seen.Count < MaxEntries)
        {
            return;
        }
        lock (_pruneGate)
        {
            if (now < _nextPrune && _seen.Count < MaxEntries)
            {
                return;
            }
            foreach (var (key, expires) in _seen)
            {
                if (expires <= now)
                {
                    _seen.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, expires));
                }
            }
            _nextPrune = now + TimeSpan.FromMinutes(1);
        }
    }
}
