using System.Security.Cryptography;
using System.Text;

namespace OidcRp.Callback;

/// <summary>
/// Makes each login flow usable once: the first callback whose <c>state</c> and correlation cookie pass
/// consumes that state; every later callback with the same state is refused (<c>state_replayed</c>) before the
/// token endpoint, whatever code it carries. Keyed by the flow's state (captured when the answer arrives, held
/// only as a 128-bit prefix of its SHA-256, never the state itself) for as long as the stock handler's
/// correlation cookie can live.
/// <para>
/// Bounded: at most <see cref="Capacity"/> flows are remembered. Entries expire in the order they were added
/// (one lifetime for all), so expiry and eviction are O(1) at the head of a queue: no scan on the request
/// path. At the bound the oldest flow is forgotten early (counted in <see cref="Evictions"/>): a replay of that
/// flow would reach the token endpoint, where the OP's single-use codes refuse it. Refusing new flows instead
/// would let anyone who can start logins lock every user out. In memory, so per instance; in a farm,
/// <see cref="TryConsumeAsync"/> also asks the shared store (CallbackReplayGuard.Farm.cs).
/// </para>
/// </summary>
internal sealed partial class CallbackReplayGuard(TimeProvider time)
{
    /// <summary>The stock correlation cookie's default lifetime: a callback older than this fails its correlation check anyway.</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    /// <summary>Flows remembered at most (about 120 bytes each, so about 12 MB at the bound).</summary>
    internal const int DefaultCapacity = 100_000;

    private readonly record struct Key(string ProviderId, UInt128 StateHash);

    private readonly Dictionary<Key, DateTimeOffset> _seen = [];
    private readonly Queue<(Key Key, DateTimeOffset Expires)> _order = new();
    private readonly Lock _gate = new();
    private long _evictions;

    internal int Capacity { get; init; } = DefaultCapacity;

    /// <summary>How many flows are remembered now.</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>Flows forgotten before their lifetime because the guard was full.</summary>
    internal long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>The value kept for a state: the first 128 bits of its SHA-256 (collisions are 2^-64 at a billion flows).</summary>
    public static UInt128 Hash(string state)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(state), digest);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }

    /// <summary>True for the first callback of this flow; false for every later one within the lifetime.</summary>
    public bool TryConsume(string providerId, UInt128 stateHash)
    {
        var now = time.GetUtcNow();
        var key = new Key(providerId, stateHash);
        lock (_gate)
        {
            // Expired entries leave from the head: every entry has the same lifetime, so the queue is in expiry order.
            while (_order.TryPeek(out var head) && head.Expires <= now)
            {
                _order.Dequeue();
                _seen.Remove(head.Key);
            }
            if (_seen.ContainsKey(key))
            {
                return false;
            }
            if (_seen.Count >= Capacity && _order.TryDequeue(out var oldest))
            {
                _seen.Remove(oldest.Key);
                _evictions++;
            }
            var expires = now + Lifetime;
            _seen.Add(key, expires);
            _order.Enqueue((key, expires));
            return true;
        }
    }
}
