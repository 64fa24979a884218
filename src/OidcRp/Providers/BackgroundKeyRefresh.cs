using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Providers;

/// <summary>
/// Refreshes loaded providers when their refresh time comes (jittered), off the request path; loads
/// every provider at start when <see cref="OidcKeyPolicyOptions.WarmUp"/> is on.
/// </summary>
internal sealed class BackgroundKeyRefresh(OidcProviderRegistry registry, KeyRefresher refresher, TimeProvider time,
    ILogger<BackgroundKeyRefresh> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (refresher.Policy.Options.WarmUp)
        {
            await Task.WhenAll(registry.All.Select(e => SafeAsync(refresher.EnsureLoadedAsync(e, stoppingToken))));
        }
        var tick = TimeSpan.FromTicks(Math.Clamp(refresher.Policy.Options.RefreshInterval.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunDueRefreshesAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>Refreshes every loaded provider whose next refresh time has passed.</summary>
    internal Task RunDueRefreshesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = registry.All.Where(e => e.Snapshot is not null && IsDue(e, now)).ToList();
        return Task.WhenAll(due.Select(e => SafeAsync(refresher.RefreshScheduledAsync(e, cancellationToken))));
    }

    private static bool IsDue(ProviderEntry entry, DateTimeOffset now)
    {
        lock (entry.Gate)
        {
            return entry.InFlight is null && entry.NextRefreshAt is { } next && now >= next;
        }
    }

    private async Task SafeAsync(Task<RefreshResult> refresh)
    {
        try
        {
            await refresh;
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
#pragma warning disable CA1031 // a background loop must survive a bug in one refresh; it is logged
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.BackgroundRefreshError(logger, e);
        }
    }
}
