namespace OidcRp.Providers;

/// <summary>
/// The registry's record of one provider: its options, its current snapshot and the bookkeeping the
/// refresher needs. Mutable fields are guarded by <see cref="Gate"/>; the snapshot is swapped atomically.
/// </summary>
internal sealed class ProviderEntry(OidcProviderOptions options)
{
    private ProviderSnapshot? _snapshot;

    public OidcProviderOptions Options { get; } = options;

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
