namespace OidcRp.Providers;

/// <summary>What caused a refresh; a metric tag and a log field.</summary>
internal enum RefreshTrigger
{
    Initial,
    KidMiss,
    Admin,
    Scheduled,
}

/// <summary>
/// When each trigger may fetch, read from <see cref="OidcKeyPolicyOptions"/> in one place. Every trigger joins a
/// fetch already in flight (one request per provider at a time, herds cost one request); the kid-miss trigger
/// additionally sends a token that joined a fetch started before it arrived to one follow-up fetch (see
/// <see cref="KidMissRecovery"/>, which owns that rule and the kid-miss budget).
/// <list type="table">
/// <item><term>Initial</term><description>first use; after a failed load, retries wait 1 s doubling per failure, capped at the kid-miss window.</description></item>
/// <item><term>KidMiss</term><description>no time gate here: bounded by the per-path budget and the memory of missing kids.</description></item>
/// <item><term>Admin</term><description>at most one per <see cref="OidcKeyPolicyOptions.AdminRefreshMinInterval"/>; a refused one says when to retry.</description></item>
/// <item><term>Scheduled</term><description>every <see cref="OidcKeyPolicyOptions.RefreshInterval"/> (jittered 10% early); after a failure 30 s doubling, capped at the interval.</description></item>
/// </list>
/// </summary>
internal sealed class RefreshPolicy(OidcKeyPolicyOptions options)
{
    private static readonly TimeSpan InitialRetryBase = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ScheduledRetryBase = TimeSpan.FromSeconds(30);

    public OidcKeyPolicyOptions Options => options;

    /// <summary>When a provider that never loaded may try again after <paramref name="failures"/> failed loads.</summary>
    public DateTimeOffset InitialRetryAt(DateTimeOffset failedAt, int failures) =>
        failedAt + Backoff(InitialRetryBase, failures - 1, options.KidMissWindow);

    /// <summary>When the next admin refresh may run, after one that started at <paramref name="last"/>.</summary>
    public DateTimeOffset AdminAllowedAt(DateTimeOffset last) => last + options.AdminRefreshMinInterval;

    /// <summary>When a loaded provider is refreshed again after a success (jitter spreads providers and instances).</summary>
    public DateTimeOffset NextScheduled(DateTimeOffset now, double jitter) => now + (options.RefreshInterval * (1.0 - (jitter * 0.1)));

    /// <summary>When a loaded provider is refreshed again after <paramref name="failures"/> failed fetches in a row.</summary>
    public DateTimeOffset NextScheduledAfterFailure(DateTimeOffset now, int failures) =>
        now + Backoff(ScheduledRetryBase, failures - 1, options.RefreshInterval);

    /// <summary>A new ledger of the kid-miss rule for one provider and path.</summary>
    public KidMissLedger NewLedger(KidMissPath path) => new(
        path == KidMissPath.Bearer ? options.BearerKidMissBudget : options.KidMissBudget,
        options.KidMissWindow, options.MaxRememberedUnknownKids);

    /// <summary><paramref name="baseline"/> doubled <paramref name="doublings"/> times (at most 10), never above <paramref name="cap"/> nor below the baseline.</summary>
    internal static TimeSpan Backoff(TimeSpan baseline, int doublings, TimeSpan cap)
    {
        var shifted = baseline.Ticks << Math.Clamp(doublings, 0, 10);
        return TimeSpan.FromTicks(Math.Min(shifted, Math.Max(baseline.Ticks, cap.Ticks)));
    }
}
