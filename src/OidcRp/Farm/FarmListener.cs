using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Farm;

/// <summary>
/// Applies what other instances broadcast: a shared snapshot (adopted without a fetch of this instance's own), a kid
/// revoked or un-revoked, providers changed in the store. A message whose MAC does not verify, that this instance sent
/// itself, or that is older than <see cref="MaxMessageAge"/> (a replay from the store's history) is ignored. When the
/// store comes back after an outage, every loaded provider is resynchronised (<see cref="KeyRefresher.ResynchroniseAsync"/>).
/// Also forwards the provider store's own change signal to the other instances.
/// </summary>
internal sealed class FarmListener(FarmSync farm, KeyRefresher refresher, OidcProviderRegistry registry, KeyRevocations revocations,
    IServiceProvider services, TimeProvider time, ILogger<FarmListener> logger) : IHostedService, IDisposable
{
    /// <summary>How old a broadcast may be when it arrives (pub/sub delivers in milliseconds; allows for clock skew).</summary>
    internal static readonly TimeSpan MaxMessageAge = TimeSpan.FromMinutes(1);

    /// <summary>The actor of audit rows for revocations applied from another instance.</summary>
    internal const string FarmActor = "oidcrp-farm";

    private IDisposable? _subscription;
    private IDisposable? _storeSubscription;

    /// <summary>Messages applied so far (tests wait on it, not on time).</summary>
    internal long Applied => Interlocked.Read(ref _applied);

    private long _applied;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!farm.IsShared)
        {
            return Task.CompletedTask;
        }
        _subscription = farm.State.Subscribe(OnMessage, OnReconnected);
        // A change this instance's store signals (it wrote it) is told to the others, whose stores do not signal it.
        _storeSubscription = services.GetService<IOidcProviderStore>()?.Subscribe(change =>
            _ = farm.BroadcastAsync(FarmMessage.Providers, "*", change.ProviderIds is { } ids ? string.Join('\n', ids) : null));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _storeSubscription?.Dispose();
        _subscription = null;
        _storeSubscription = null;
    }

    private void OnMessage(string payload)
    {
        var message = FarmMessage.Open(payload, farm.Mac!);
        if (message is null)
        {
            Log.FarmMessageIgnored(logger, "mac_invalid");
            return;
        }
        if (message.Origin == farm.Origin)
        {
            return;
        }
        if ((time.GetUtcNow() - message.SentAt).Duration() > MaxMessageAge)
        {
            Log.FarmMessageIgnored(logger, "too_old");
            return;
        }
        _ = Task.Run(() => ApplyAsync(message));
    }

    private async Task ApplyAsync(FarmMessage message)
    {
        try
        {
            var entry = registry.Find(message.ProviderId);
            switch (message.Kind)
            {
                case FarmMessage.Snapshot when entry is not null
                    && long.TryParse(message.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var version):
                    await refresher.AdoptSharedAsync(entry, version);
                    break;
                case FarmMessage.Revoke when entry is not null && message.Value is { } kid:
                    await revocations.RevokeAsync(entry.Id, kid, FarmActor, CancellationToken.None);
                    break;
                case FarmMessage.Unrevoke when entry is not null && message.Value is { } kid:
                    await revocations.UnrevokeAsync(entry.Id, kid, FarmActor, CancellationToken.None);
                    break;
                case FarmMessage.Providers when registry.Store is { } store:
                    await store.RereadAsync(message.Value is { } ids
                        ? new OidcProviderStoreChange { ProviderIds = ids.Split('\n'), Actor = FarmActor }
                        : OidcProviderStoreChange.Everything);
                    break;
                default:
                    return;
            }
            Log.FarmMessageApplied(logger, message.Kind, message.ProviderId);
        }
#pragma warning disable CA1031 // a message from another instance must never take this one down
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.FarmMessageFailed(logger, message.Kind, message.ProviderId, e);
        }
        finally
        {
            Interlocked.Increment(ref _applied);
        }
    }

    private void OnReconnected()
    {
        Log.FarmRestored(logger);
        _ = Task.Run(async () =>
        {
            foreach (var entry in registry.All.ToList())
            {
                try
                {
                    await refresher.ResynchroniseAsync(entry);
                }
#pragma warning disable CA1031 // see ApplyAsync
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Log.FarmMessageFailed(logger, "resynchronise", entry.Id, e);
                }
            }
        });
    }
}
