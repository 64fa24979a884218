using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Providers.Sources;

/// <summary>
/// The store source: a provider is read the first time a request names it, once however many requests ask at
/// the same moment, then cached until the store's change signal names it (or says everything). An id the store
/// does not have is remembered for <see cref="AbsentFor"/> (or until a change signal names it), so a request that
/// names an unknown provider again and again costs one store query per window, not one per request; at most
/// <see cref="MaxAbsent"/> such ids are remembered. Store failures are answered as "no such provider" for that
/// request, logged, and not remembered.
/// </summary>
internal sealed class StoreLookups : IDisposable
{
    /// <summary>How long an id the store does not have is answered from memory.</summary>
    public static readonly TimeSpan AbsentFor = TimeSpan.FromSeconds(30);

    public const int MaxAbsent = 10_000;

    private readonly IOidcProviderStore _store;
    private readonly OidcProviderRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Task<ProviderEntry?>> _loading = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _absent = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _rereads = new(1, 1);
    private readonly IDisposable _subscription;
    private long _queries;

    public StoreLookups(IOidcProviderStore store, OidcProviderRegistry registry, TimeProvider time, ILogger logger)
    {
        _store = store;
        _registry = registry;
        _time = time;
        _logger = logger;
        _subscription = store.Subscribe(OnChange);
    }

    /// <summary>Store queries made so far (lookups by id, re-reads); the benchmark's and the tests' measure of work.</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>One page of the store's providers (the admin list), without loading them.</summary>
    public Task<IReadOnlyList<OidcProviderRecord>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        return _store.ListAsync(afterId, limit, cancellationToken);
    }

    public async ValueTask<ProviderEntry?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        // Only what could be a provider id reaches the store: route values and paths are attacker input.
        if (!OidcRpOptionsValidator.IsValidId(id) || Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.ReservedIds.Contains(id)
            || _registry.IsConfigured(id))
        {
            return null;
        }
        if (_absent.TryGetValue(id, out var until))
        {
            if (_time.GetUtcNow() < until)
            {
                return null;
            }
            _absent.TryRemove(id, out _);
        }
        var task = _loading.GetOrAdd(id, key => ReadAndPublishAsync(key, null));
        try
        {
            return await task.WaitAsync(cancellationToken);
        }
        finally
        {
            if (task.IsCompleted)
            {
                _loading.TryRemove(new KeyValuePair<string, Task<ProviderEntry?>>(id, task));
            }
        }
    }

    /// <summary>Reads <paramref name="id"/> from the store and publishes what changed. Never throws.</summary>
    private async Task<ProviderEntry?> ReadAndPublishAsync(string id, string? actor)
    {
        await Task.Yield(); // run outside GetOrAdd
        // The version in place before the read: the result is published only over it (compare and swap).
        var current = _registry.FindStored(id);
        OidcProviderRecord? record;
        try
        {
            Interlocked.Increment(ref _queries);
            record = await _store.FindByIdAsync(id, CancellationToken.None);
        }
#pragma warning disable CA1031 // a failing store is a missing provider for this request, never an error page
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProviderStoreFailed(_logger, AuditText(id), e);
            return _registry.Find(id);
        }
        if (record is null)
        {
            Remember(id);
            if (current is not null)
            {
                _registry.ApplyStored(current.Id, current, null, [new ProviderChange(current.Id, ProviderSource.Store, ProviderChangeKind.Removed, current, null) { Actor = actor }]);
            }
            return null;
        }
        var options = record.Options;
        var key = string.IsNullOrEmpty(options.Id) ? id : options.Id;
        if (!string.Equals(key, id, StringComparison.OrdinalIgnoreCase))
        {
            Log.ProviderStoreMismatch(_logger, AuditText(id));
            return current;
        }
        if (current is not null && current.Version == record.Version)
        {
            return current;
        }
        var errors = OidcRpOptionsValidator.ValidateProvider(key, options, fromStore: true);
        if (errors.Count > 0)
        {
            current?.Refused = new RefusedChange(record.Version, errors, _time.GetUtcNow());
            if (current is null)
            {
                Remember(id); // an invalid row is asked again after the window, not on every request
            }
            var settings = current is null ? [] : ProviderChanges.Changed(current.Options, options);
            _registry.ApplyStored(key, current, current, [new ProviderChange(key, ProviderSource.Store, ProviderChangeKind.Refused, current, current)
            {
                Errors = errors, ChangedSettings = settings, Actor = actor, RefusedVersion = record.Version,
            }]);
            return current;
        }
        _absent.TryRemove(id, out _);
        ProviderChange change;
        var expected = current;
        if (current is null)
        {
            change = new ProviderChange(key, ProviderSource.Store, ProviderChangeKind.Added, null, new ProviderEntry(options, record.Version, ProviderSource.Store)) { Actor = actor };
        }
        else if (!string.Equals(current.Id, key, StringComparison.Ordinal))
        {
            _registry.ApplyStored(current.Id, current, null, [new ProviderChange(current.Id, ProviderSource.Store, ProviderChangeKind.Removed, current, null) { Actor = actor }]);
            change = new ProviderChange(key, ProviderSource.Store, ProviderChangeKind.Added, null, new ProviderEntry(options, record.Version, ProviderSource.Store)) { Actor = actor };
        }
        else
        {
            change = ProviderChange.Changed(current, options, record.Version, ProviderSource.Store, ProviderChanges.Changed(current.Options, options), actor);
        }
        _registry.ApplyStored(key, expected, change.After, [change]);
        return _registry.Find(key);
    }

    private void Remember(string id)
    {
        if (_absent.Count >= MaxAbsent)
        {
            _absent.Clear(); // bounded memory; the cost is one more query per forgotten id
        }
        _absent[id] = _time.GetUtcNow() + AbsentFor;
    }

    /// <summary>The store's change signal: forget what it names and re-read the providers it names that are loaded.</summary>
    private void OnChange(OidcProviderStoreChange change)
    {
        try
        {
            _ = RereadAsync(change);
        }
#pragma warning disable CA1031 // the store's thread must never see our failure
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProviderReloadFailed(_logger, e);
        }
    }

    /// <summary>Re-reads, one signal at a time so two signals for one provider apply in order. Never throws.</summary>
    internal async Task RereadAsync(OidcProviderStoreChange change)
    {
        await _rereads.WaitAsync();
        try
        {
            IEnumerable<string> ids;
            if (change.ProviderIds is { } named)
            {
                foreach (var id in named)
                {
                    _absent.TryRemove(id, out _);
                }
                ids = named.Where(id => _registry.FindStored(id) is not null || _loading.ContainsKey(id)).ToList();
            }
            else
            {
                _absent.Clear();
                ids = _registry.StoredEntries.Select(e => e.Id).Concat(_loading.Keys).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            }
            foreach (var id in ids)
            {
                // A first read in flight may have read the row before this change: let it land, then read again.
                if (_loading.TryGetValue(id, out var loading))
                {
                    await loading;
                }
                await ReadAndPublishAsync(id, change.Actor);
            }
            Rereads++;
        }
#pragma warning disable CA1031 // see OnChange
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProviderReloadFailed(_logger, e);
        }
        finally
        {
            _rereads.Release();
        }
    }

    /// <summary>Change signals handled so far (tests wait on it, not on time).</summary>
    internal long Rereads { get; private set; }

    private static string AuditText(string id) => Audit.AuditText.Clean(id, Audit.AuditText.MaxShort) ?? "";

    public void Dispose()
    {
        _subscription.Dispose();
        _rereads.Dispose();
    }
}
