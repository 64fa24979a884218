using System.Runtime.CompilerServices;

namespace OidcRp.Providers;

/// <summary>
/// Per provider, how many tokens (login and bearer) named a kid the current key set holds (hits) or lacks (misses), since
/// the fetch that brought that key set: the operator's view of whether clients are on the current keys. Counters reset
/// lazily when a newer snapshot is seen, so a fetch needs no hook here.
/// </summary>
internal sealed class KeyUsage
{
    private readonly ConditionalWeakTable<ProviderEntry, Counter> _counters = [];

    public void Hit(ProviderEntry entry, ProviderSnapshot snapshot) => Interlocked.Increment(ref For(entry, snapshot).Hits);

    public void Miss(ProviderEntry entry, ProviderSnapshot snapshot) => Interlocked.Increment(ref For(entry, snapshot).Misses);

    /// <summary>Hits and misses since the fetch of the provider's current snapshot.</summary>
    public (long Hits, long Misses) Read(ProviderEntry entry)
    {
        if (entry.Snapshot is not { } snapshot || !_counters.TryGetValue(entry, out var counter))
        {
            return (0, 0);
        }
        lock (counter)
        {
            return counter.Sequence == snapshot.Sequence ? (Interlocked.Read(ref counter.Hits), Interlocked.Read(ref counter.Misses)) : (0, 0);
        }
    }

    private Counter For(ProviderEntry entry, ProviderSnapshot snapshot)
    {
        var counter = _counters.GetValue(entry, _ => new Counter());
        if (Volatile.Read(ref counter.Sequence) < snapshot.Sequence)
        {
            lock (counter)
            {
                if (counter.Sequence < snapshot.Sequence)
                {
                    counter.Hits = 0;
                    counter.Misses = 0;
                    Volatile.Write(ref counter.Sequence, snapshot.Sequence);
                }
            }
        }
        return counter;
    }

    private sealed class Counter
    {
        public long Sequence;
        public long Hits;
        public long Misses;
    }
}
