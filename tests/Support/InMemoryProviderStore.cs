using System.Collections.Concurrent;
using System.Globalization;

namespace OidcRp.Tests.Support;

/// <summary>
/// An <see cref="IOidcProviderStore"/> in memory for tests: rows keyed by id ignoring case, a version counter per
/// write, a change signal on every write, and counts of the queries OidcRp made.
/// </summary>
public sealed class InMemoryProviderStore : IOidcProviderStore
{
    private readonly ConcurrentDictionary<string, OidcProviderRecord> _rows = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Action<OidcProviderStoreChange>> _subscribers = [];
    private readonly Lock _gate = new();
    private int _version;
    private int _findById;
    private int _findByPath;
    private int _lists;

    /// <summary>Lookups by id so far.</summary>
    public int FindByIdCalls => Volatile.Read(ref _findById);

    public int FindByPathCalls => Volatile.Read(ref _findByPath);

    public int ListCalls => Volatile.Read(ref _lists);

    /// <summary>When set, lookups throw it (a store outage).</summary>
    public Exception? Failure { get; set; }

    /// <summary>Writes a row quietly (no change signal), as a row present before the app started.</summary>
    public string Seed(OidcProviderOptions options)
    {
        var version = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
        _rows[options.Id] = new OidcProviderRecord { Options = options, Version = version };
        return version;
    }

    /// <summary>Adds or replaces a row and signals the change, naming the provider.</summary>
    public string Put(OidcProviderOptions options, string? actor = null)
    {
        var version = Seed(options);
        Signal(new OidcProviderStoreChange { ProviderIds = [options.Id], Actor = actor });
        return version;
    }

    /// <summary>Deletes a row and signals the change.</summary>
    public void Remove(string id, string? actor = null)
    {
        _rows.TryRemove(id, out _);
        Signal(new OidcProviderStoreChange { ProviderIds = [id], Actor = actor });
    }

    public void Signal(OidcProviderStoreChange change)
    {
        Action<OidcProviderStoreChange>[] subscribers;
        lock (_gate)
        {
            subscribers = [.. _subscribers];
        }
        foreach (var subscriber in subscribers)
        {
            subscriber(change);
        }
    }

    public Task<OidcProviderRecord?> FindByIdAsync(string providerId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _findById);
        if (Failure is { } failure)
        {
            return Task.FromException<OidcProviderRecord?>(failure);
        }
        return Task.FromResult(_rows.GetValueOrDefault(providerId));
    }

    public Task<OidcProviderRecord?> FindByCallbackPathAsync(string path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _findByPath);
        return Task.FromResult(_rows.Values.FirstOrDefault(r =>
            string.Equals(r.Options.CallbackPath ?? $"/auth/oidc/{r.Options.Id}/callback", path, StringComparison.OrdinalIgnoreCase)));
    }

    public Task<IReadOnlyList<OidcProviderRecord>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lists);
        IReadOnlyList<OidcProviderRecord> page = _rows.Values
            .Where(r => afterId is null || StringComparer.OrdinalIgnoreCase.Compare(r.Options.Id, afterId) > 0)
            .OrderBy(r => r.Options.Id, StringComparer.OrdinalIgnoreCase)
            .Take(limit)
            .ToList();
        return Task.FromResult(page);
    }

    public IDisposable Subscribe(Action<OidcProviderStoreChange> onChange)
    {
        lock (_gate)
        {
            _subscribers.Add(onChange);
        }
        return new Unsubscriber(this, onChange);
    }

    private sealed class Unsubscriber(InMemoryProviderStore store, Action<OidcProviderStoreChange> onChange) : IDisposable
    {
        public void Dispose()
        {
            lock (store._gate)
            {
                store._subscribers.Remove(onChange);
            }
        }
    }
}
