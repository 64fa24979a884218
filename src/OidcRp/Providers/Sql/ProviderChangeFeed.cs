using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Providers.Sql;

/// <summary>
/// The store's change signal. Writes through this store publish at once; while at least one callback is
/// subscribed (and <see cref="OidcProviderStoreOptions.PollInterval"/> is set), a background loop reads the
/// changes committed by other processes: the rows whose version is above the last one it saw, a bounded page at a
/// time. Removals are tombstones with a version of their own, so they are seen the same way. Delivery is at least
/// once: a change may be signalled twice, never lost after the loop's first read (which signals
/// <see cref="OidcProviderStoreChange.Everything"/>, since what happened before it is unknown).
/// </summary>
internal sealed class ProviderChangeFeed(DbDataSource dataSource, ProviderStoreSchema schema, OidcProviderStoreOptions options,
    TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<long, byte> _ownVersions = new();
    private List<Action<OidcProviderStoreChange>> _subscribers = [];
    private CancellationTokenSource? _polling;
    private Task _poller = Task.CompletedTask;
    private bool _disposed;

    public bool Polling => Volatile.Read(ref _polling) is not null;

    public IDisposable Subscribe(Action<OidcProviderStoreChange> onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscribers = [.. _subscribers, onChange];
            if (_polling is null && options.PollInterval is { } interval)
            {
                var stop = new CancellationTokenSource();
                _polling = stop;
                _poller = Task.Run(() => PollAsync(interval, stop), CancellationToken.None);
            }
        }
        return new Subscription(this, onChange);
    }

    /// <summary>A change committed by this store: signalled now, and skipped when the poller meets its version.</summary>
    public void PublishOwn(string providerId, long version, string? actor)
    {
        if (Polling)
        {
            _ownVersions.TryAdd(version, 0);
        }
        Publish(new OidcProviderStoreChange { ProviderIds = [providerId], Actor = actor });
    }

    private void Publish(OidcProviderStoreChange change)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try
            {
                subscriber(change);
            }
#pragma warning disable CA1031 // one failing subscriber must not stop the others or fail the write that signalled
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.ProviderChangeSubscriberFailed(logger, e);
            }
        }
    }

    private void Unsubscribe(Action<OidcProviderStoreChange> onChange)
    {
        lock (_lock)
        {
            var remaining = _subscribers.ToList();
            remaining.Remove(onChange);
            _subscribers = remaining;
            if (remaining.Count == 0 && _polling is { } stop)
            {
                _polling = null;
                stop.Cancel(); // the loop disposes it on its way out
            }
        }
    }

    private async Task PollAsync(TimeSpan interval, CancellationTokenSource stop)
    {
        long? last = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await schema.EnsureAsync(stop.Token);
                    if (last is null)
                    {
                        last = await ProviderRows.CurrentVersionAsync(dataSource, stop.Token);
                        Publish(OidcProviderStoreChange.Everything);
                    }
                    else
                    {
                        last = await DrainAsync(last.Value, stop.Token);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // a database that is away must not reach the host: the next poll tries again
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Log.ProviderStorePollFailed(logger, e.GetType().Name, interval);
                }
                await Task.Delay(interval, time, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            stop.Dispose();
        }
    }

    private async Task<long> DrainAsync(long last, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changes = await ProviderRows.ChangesAsync(dataSource, last, options.PollBatchSize, cancellationToken);
            foreach (var group in changes.Where(c => !_ownVersions.TryRemove(c.Version, out _)).GroupBy(c => c.Actor, StringComparer.Ordinal))
            {
                Publish(new OidcProviderStoreChange
                {
                    ProviderIds = group.Select(c => c.Id).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                    Actor = group.Key,
                });
            }
            if (changes.Count > 0)
            {
                last = changes[^1].Version;
            }
            foreach (var seen in _ownVersions.Keys.Where(v => v <= last))
            {
                _ownVersions.TryRemove(seen, out _); // own writes the poller read past without meeting (committed before its baseline)
            }
            if (changes.Count < options.PollBatchSize)
            {
                return last;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task poller;
        lock (_lock)
        {
            _disposed = true;
            _subscribers = [];
            _polling?.Cancel();
            _polling = null;
            poller = _poller;
        }
        await poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private sealed class Subscription(ProviderChangeFeed feed, Action<OidcProviderStoreChange> onChange) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                feed.Unsubscribe(onChange);
            }
        }
    }
}
