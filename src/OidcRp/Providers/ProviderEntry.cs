namespace OidcRp.Providers;

/// <summary>
/// The registry's record of one VERSION of one provider: its options (never changed after the entry is made),
/// its current snapshot and the bookkeeping the refresher needs. A change of the provider makes a new entry
/// (<see cref="Sources.ProviderChanges"/>), so one request that holds an entry sees one version throughout, and a
/// fetch started for an older version swaps into the older entry, never the newer one.
/// Mutable fields are guarded by <see cref="Gate"/>; the snapshot is swapped atomically.
/// </summary>
internal sealed class ProviderEntry(OidcProviderOptions options, string version = "1", ProviderSource source = ProviderSource.Configuration)
{
    private ProviderSnapshot? _snapshot;

    public OidcProviderOptions Options { get; } = options;

    /// <summary>The version: a counter for configuration providers, the store's own version for store providers.</summary>
    public string Version { get; } = version;

    /// <summary>Where the provider came from.</summary>
    public ProviderSource Source { get; } = source;

    /// <summary>The errors of the last change refused for this provider (the entry kept instead), or null.</summary>
    public Sources.RefusedChange? Refused { get; set; }

    public string Id => Options.Id;

    public string SchemeName { get; } = OidcRpOptions.SchemeName(options.Id);

    /// <summary>The current snapshot, or null while the provider has never loaded.</summary>
    public ProviderSnapshot? Snapshot => Volatile.Read(ref _snapshot);

    internal Lock Gate { get; } = new();

    // Guarded by Gate.
    internal Task<RefreshResult>? InFlight { get; set; }
    internal long InFlightSequence { get; set; }
    internal DateTimeOffset? LastAttemptAt { get; set; }
    internal DateTimeOffset? LastAdminRefreshAt { get; set; }
    internal DateTimeOffset? LastFailureAt { get; set; }
    internal DateTimeOffset? NextRefreshAt { get; set; }
    internal int ConsecutiveFailures { get; set; }
    internal string? LastErrorCode { get; set; }

    /// <summary>The kid-miss rule's budget and memory of missing kids for <paramref name="path"/>, made on first use. Under Gate.</summary>
    internal KidMissLedger LedgerUnderGate(KidMissPath path, RefreshPolicy policy) =>
        _ledgers[(int)path] ??= policy.NewLedger(path);

    private readonly KidMissLedger?[] _ledgers = new KidMissLedger?[2];

    /// <summary>The issuer seen first when none is configured; later documents must keep it.</summary>
    internal string? PinnedIssuer { get; set; }

    // Written under Gate, read without it (the validator's note of which fetches a token arrived after).
    internal long LastStartedSequence;

    // Counters, read without the lock.
    internal long Recoveries;
    internal long KidMissFailures;
    internal long Refreshes;
    internal long FailedRefreshes;

    /// <summary>
    /// For a new version whose keys stay valid (<see cref="Sources.ProviderChanges"/>): the previous version's
    /// snapshot, with what depends on the new settings (algorithm policy, issuer rule) recomputed without a fetch,
    /// and its schedule and counters.
    /// </summary>
    internal void Inherit(ProviderEntry previous, bool keepSnapshot)
    {
        lock (previous.Gate)
        {
            PinnedIssuer = keepSnapshot ? previous.PinnedIssuer : null;
            LastAttemptAt = previous.LastAttemptAt;
            LastAdminRefreshAt = previous.LastAdminRefreshAt;
            NextRefreshAt = keepSnapshot ? previous.NextRefreshAt : null;
            LastStartedSequence = previous.LastStartedSequence;
            Refreshes = Interlocked.Read(ref previous.Refreshes);
            FailedRefreshes = Interlocked.Read(ref previous.FailedRefreshes);
            Recoveries = Interlocked.Read(ref previous.Recoveries);
            KidMissFailures = Interlocked.Read(ref previous.KidMissFailures);
            if (keepSnapshot && previous.Snapshot is { } snapshot)
            {
                _snapshot = snapshot.Rebind(Options);
            }
        }
    }

    /// <summary>Swaps in <paramref name="snapshot"/> unless a newer fetch already did (no stale overwrite).</summary>
    internal bool TrySwap(ProviderSnapshot snapshot)
    {
        lock (Gate)
        {
            if (_snapshot is not null && _snapshot.Sequence >= snapshot.Sequence)
            {
                return false;
            }
            Volatile.Write(ref _snapshot, snapshot);
            return true;
        }
    }
}
