using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Diagnostics;

namespace OidcRp.Providers;

/// <summary>
/// The only code that fetches discovery and JWKS, and the only code that touches a provider's counters. Per
/// provider: one fetch in flight at a time, shared by every caller (herds cost one request); when each trigger may
/// start one is <see cref="RefreshPolicy"/>'s, and the kid-miss decision is <see cref="KidMissRecovery"/>'s; the last
/// good snapshot is kept whenever a fetch fails ("stale metadata is better than no metadata").
/// The shared fetch runs on the refresher's own timeout and shutdown token, never a caller's.
/// </summary>
internal sealed partial class KeyRefresher : IDisposable
{
    private readonly MetadataFetcher _fetcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OidcRpMetrics _metrics;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly AuditWriter? _audit;

    public KeyRefresher(MetadataFetcher fetcher, IOptions<OidcRpOptions> options, TimeProvider time,
        ILogger<KeyRefresher> logger, OidcRpMetrics metrics, Farm.FarmSync? farm = null, AuditWriter? audit = null)
    {
        _audit = audit;
        _fetcher = fetcher;
        Farm = farm ?? OidcRp.Farm.FarmSync.Local;
        Policy = new RefreshPolicy(options.Value.Keys);
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    public RefreshPolicy Policy { get; }

    private OidcKeyPolicyOptions Options => Policy.Options;

    /// <summary>Loads the provider on first use; later calls return the current snapshot at once.</summary>
    public Task<RefreshResult> EnsureLoadedAsync(ProviderEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Snapshot is { } snapshot)
        {
            return Task.FromResult(new RefreshResult(RefreshStatus.NotNeeded, snapshot));
        }
        Task<RefreshResult> task;
        lock (entry.Gate)
        {
            if (entry.Snapshot is { } loaded)
            {
                return Task.FromResult(new RefreshResult(RefreshStatus.NotNeeded, loaded));
            }
            if (entry.InFlight is null && entry.LastFailureAt is { } failedAt)
            {
                // A provider that never loaded retries with a short backoff, so a dead OP under traffic
                // is not hit by every request.
                var retryAt = Policy.InitialRetryAt(failedAt, entry.ConsecutiveFailures);
                var now = _time.GetUtcNow();
                if (now < retryAt)
                {
                    return Task.FromResult(new RefreshResult(RefreshStatus.Failed, null, entry.LastErrorCode, RetryAfter: retryAt - now));
                }
            }
            task = entry.InFlight ?? Start(entry, RefreshTrigger.Initial, includeDiscovery: true);
        }
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>The sequence number of the latest fetch started for <paramref name="entry"/> (0 before any).</summary>
    public static long StartedSequence(ProviderEntry entry) => Volatile.Read(ref entry.LastStartedSequence);

    /// <summary>
    /// For the kid-miss rule, called under <c>entry.Gate</c>: the fetch in flight and its sequence number, or null.
    /// </summary>
    internal static (Task<RefreshResult> Task, long Sequence)? InFlightUnderGate(ProviderEntry entry) =>
        entry.InFlight is { } task ? (task, entry.InFlightSequence) : null;

    /// <summary>
    /// For the kid-miss rule, called under <c>entry.Gate</c> when nothing is in flight and the budget allowed it:
    /// starts a JWKS fetch (rotation does not move the JWKS; discovery too only while nothing is loaded).
    /// </summary>
    internal (Task<RefreshResult> Task, long Sequence) StartKidMissUnderGate(ProviderEntry entry, KidMissPath path)
    {
        var task = Start(entry, RefreshTrigger.KidMiss, includeDiscovery: entry.Snapshot is null, path);
        return (task, entry.InFlightSequence);
    }

    /// <summary>Counts what became of a token with an unknown kid (status view, metrics, logs).</summary>
    internal void CountKidMiss(ProviderEntry entry, string category, string? reason, string kid)
    {
        switch (category)
        {
            case Audit.OidcAuditCategories.KidMismatchRecovered:
                Interlocked.Increment(ref entry.Recoveries);
                Log.KidMissRecovered(_logger, entry.Id, kid);
                break;
            case Audit.OidcAuditCategories.KidMismatchThrottled:
                Interlocked.Increment(ref entry.KidMissFailures);
                Log.KidMissRefused(_logger, entry.Id, kid, reason ?? "");
                _metrics.Refresh(entry.Id, nameof(RefreshTrigger.KidMiss), "throttled", TimeSpan.Zero);
                break;
            default:
                Interlocked.Increment(ref entry.KidMissFailures);
                break;
        }
    }

    /// <summary>An operator forced a refresh: discovery and JWKS, at most once per admin minimum interval.</summary>
    public Task<RefreshResult> RefreshForAdminAsync(ProviderEntry entry, CancellationToken cancellationToken)
    {
        Task<RefreshResult> task;
        lock (entry.Gate)
        {
            var now = _time.GetUtcNow();
            if (entry.LastAdminRefreshAt is { } last && now < Policy.AdminAllowedAt(last))
            {
                Log.RefreshThrottled(_logger, entry.Id, nameof(RefreshTrigger.Admin));
                _metrics.Refresh(entry.Id, nameof(RefreshTrigger.Admin), "throttled", TimeSpan.Zero);
                return Task.FromResult(new RefreshResult(RefreshStatus.Throttled, entry.Snapshot,
                    RetryAfter: Policy.AdminAllowedAt(last) - now));
            }
            entry.LastAdminRefreshAt = now;
            task = entry.InFlight ?? Start(entry, RefreshTrigger.Admin, includeDiscovery: true);
        }
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>The periodic refresh of a loaded provider, off the request path.</summary>
    public Task<RefreshResult> RefreshScheduledAsync(ProviderEntry entry, CancellationToken cancellationToken)
    {
        Task<RefreshResult> task;
        lock (entry.Gate)
        {
            task = entry.InFlight ?? Start(entry, RefreshTrigger.Scheduled, includeDiscovery: true);
        }
        return task.WaitAsync(cancellationToken);
    }

    // Called under entry.Gate.
    private Task<RefreshResult> Start(ProviderEntry entry, RefreshTrigger trigger, bool includeDiscovery, KidMissPath path = KidMissPath.IdToken)
    {
        var reason = FetchReason(trigger, path);
        var sequence = entry.LastStartedSequence + 1;
        Volatile.Write(ref entry.LastStartedSequence, sequence);
        entry.LastAttemptAt = _time.GetUtcNow();
        Task<RefreshResult> task;
        // The fetch is shared: it must not carry the first caller's HttpContext, Activity or cancellation. Its span is
        // the root of a trace of its own, linked to the span that started it (a kid-miss recovery, a request), so a
        // trace viewer can still go from the recovery to the fetch and back.
        var starter = Activity.Current?.Context;
        using (ExecutionContext.SuppressFlow())
        {
            task = Task.Run(() => FetchAndSwapAsync(entry, trigger, reason, sequence, includeDiscovery, starter));
        }
        entry.InFlight = task;
        entry.InFlightSequence = sequence;
        return task;
    }

    private async Task<RefreshResult> FetchAndSwapAsync(ProviderEntry entry, RefreshTrigger trigger, string reason, long sequence,
        bool includeDiscovery, ActivityContext? starter)
    {
        var triggerName = trigger.ToString();
        var started = _time.GetTimestamp();
        using var activity = OidcRpActivity.Source.StartActivity(OidcRpActivity.RefreshKeys, ActivityKind.Internal, parentContext: default,
            links: starter is { } context ? [new ActivityLink(context)] : null);
        activity?.SetTag("oidcrp.provider", entry.Id);
        activity?.SetTag("oidcrp.trigger", triggerName);
        Log.RefreshStarted(_logger, entry.Id, triggerName);
        try
        {
            using var timeout = new CancellationTokenSource(Options.FetchTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _shutdown.Token);
            if (await SharedFirstAsync(entry, trigger, sequence) is { } adopted)
            {
                return adopted; // a farm: another instance's fresh fetch serves this one (KeyRefresher.Farm.cs)
            }
            var before = entry.Snapshot;
            (ProviderSnapshot? snapshot, string? error) = await FetchAsync(entry, includeDiscovery, sequence, linked.Token, timeout.Token);
            var duration = _time.GetElapsedTime(started);
            var result = snapshot is null
                ? Failed(entry, triggerName, error!, duration, activity)
                : Succeeded(entry, triggerName, snapshot, duration);
            if (snapshot is not null)
            {
                await ShareAsync(entry, snapshot);
            }
            await AuditFetchAsync(entry, reason, snapshot is not null, before, entry.Snapshot, duration);
            return result;
        }
        finally
        {
            lock (entry.Gate)
            {
                if (entry.InFlightSequence == sequence)
                {
                    entry.InFlight = null;
                }
            }
        }
    }

    private async Task<(ProviderSnapshot?, string?)> FetchAsync(ProviderEntry entry, bool includeDiscovery, long sequence,
        CancellationToken cancellationToken, CancellationToken timeoutToken)
    {
        var options = entry.Options;
        var previous = entry.Snapshot;
        // Which document was being fetched when it failed: every reason names it (discovery_*, jwks_*).
        var hop = OidcRpReasons.DiscoveryPrefix;
        string? discoveryBody = null; // kept as fetched, for a farm's shared snapshot
        try
        {
            var configuration = previous?.Configuration;
            var discoveryFetchedAt = previous?.DiscoveryFetchedAt ?? default;
            if (includeDiscovery || configuration is null)
            {
                var discovery = await _fetcher.GetAsync(options.EffectiveMetadataAddress, Options.MaxResponseBytes, cancellationToken);
                discoveryBody = discovery.Body;
                if (discovery.ErrorCode is { } fetchError)
                {
                    return (null, FetchError(entry, hop, fetchError, discovery.Exception));
                }
                IssuerExpectation? expected;
                lock (entry.Gate)
                {
                    expected = IssuerExpectation.For(options, entry.PinnedIssuer);
                }
                var (parsed, parseError) = MetadataParser.ParseDiscovery(discovery.Body!, expected, options.RequireHttpsMetadata);
                if (parsed is null)
                {
                    return (null, parseError);
                }
                configuration = parsed;
                discoveryFetchedAt = _time.GetUtcNow();
            }

            hop = OidcRpReasons.JwksPrefix;
            var jwks = await _fetcher.GetAsync(new Uri(configuration.JwksUri), Options.MaxResponseBytes, cancellationToken);
            if (jwks.ErrorCode is { } jwksError)
            {
                return (null, FetchError(entry, hop, jwksError, jwks.Exception));
            }
            var (keys, keysError) = MetadataParser.ParseJwks(jwks.Body!, Options.MaxKeys);
            if (keys is null)
            {
                return (null, keysError);
            }
            return (Build(configuration, keys, discoveryFetchedAt, sequence, options.SigningAlgorithms) with
            {
                IssuerRule = IssuerRule.For(options, configuration.Issuer),
                Documents = discoveryBody is not null
                    ? new SnapshotDocuments(discoveryBody, jwks.Body!)
                    : previous?.Documents is { } documents ? documents with { Jwks = jwks.Body! } : null,
            }, null);
        }
        catch (OperationCanceledException) when (timeoutToken.IsCancellationRequested && !_shutdown.IsCancellationRequested)
        {
            return (null, hop + FetchFailures.Timeout);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_shutdown.IsCancellationRequested)
        {
            // Past the fetcher (a key the parser did not expect, a bug): still a failed refresh with its
            // bookkeeping (backoff, status, health), never an exception on the login that asked for it.
            return (null, FetchError(entry, hop, FetchFailures.Other, e));
        }
    }

    private string FetchError(ProviderEntry entry, string hop, string failure, Exception? exception)
    {
        var code = hop + failure;
        if (exception is not null)
        {
            Log.FetchException(_logger, entry.Id, code, exception);
        }
        return code;
    }

    private ProviderSnapshot Build(Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration source,
        ParsedKeys keys, DateTimeOffset discoveryFetchedAt, long sequence, IList<string> configuredAlgorithms)
    {
        // A fresh configuration object per snapshot: the stock handler caches the one it is given per request.
        var configuration = Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration.Create(
            Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration.Write(source));
        configuration.JsonWebKeySet = keys.KeySet;
        configuration.SigningKeys.Clear();
        foreach (var key in keys.SigningKeys)
        {
            configuration.SigningKeys.Add(key);
        }
        return new ProviderSnapshot(configuration, configuration.Issuer, keys.SigningKeys, keys.Kids, keys.EveryKeyHasKid,
            MetadataParser.ValidAlgorithms(configuration, configuredAlgorithms), keys.Fingerprint, keys.Bindings, discoveryFetchedAt, _time.GetUtcNow(), sequence);
    }

    private RefreshResult Succeeded(ProviderEntry entry, string trigger, ProviderSnapshot snapshot, TimeSpan duration)
    {
        var previous = entry.Snapshot;
        if (!entry.TrySwap(snapshot))
        {
            Log.StaleSnapshotDiscarded(_logger, entry.Id, snapshot.Sequence);
        }
        lock (entry.Gate)
        {
            entry.ConsecutiveFailures = 0;
            entry.LastErrorCode = null;
            entry.LastFailureAt = null;
            entry.PinnedIssuer ??= snapshot.Issuer;
            entry.NextRefreshAt = Policy.NextScheduled(_time.GetUtcNow(), Random.Shared.NextDouble());
        }
        Interlocked.Increment(ref entry.Refreshes);
        var changed = previous is null || previous.Fingerprint != snapshot.Fingerprint;
        Log.RefreshSucceeded(_logger, entry.Id, trigger, snapshot.SigningKeys.Count, snapshot.Fingerprint, changed, (long)duration.TotalMilliseconds);
        _metrics.Refresh(entry.Id, trigger, "success", duration);
        return new RefreshResult(RefreshStatus.Refreshed, entry.Snapshot, Duration: duration);
    }

    private RefreshResult Failed(ProviderEntry entry, string trigger, string error, TimeSpan duration, Activity? activity)
    {
        lock (entry.Gate)
        {
            entry.ConsecutiveFailures++;
            entry.LastErrorCode = error;
            entry.LastFailureAt = _time.GetUtcNow();
            if (entry.Snapshot is not null)
            {
                entry.NextRefreshAt = Policy.NextScheduledAfterFailure(_time.GetUtcNow(), entry.ConsecutiveFailures);
            }
        }
        Interlocked.Increment(ref entry.FailedRefreshes);
        activity?.SetStatus(ActivityStatusCode.Error, error);
        Log.RefreshFailed(_logger, entry.Id, trigger, error);
        _metrics.Refresh(entry.Id, trigger, "failure", duration);
        return new RefreshResult(RefreshStatus.Failed, entry.Snapshot, error, duration);
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
    }
}
