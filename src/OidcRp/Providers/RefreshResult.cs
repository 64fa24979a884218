namespace OidcRp.Providers;

/// <summary>The outcome of asking the refresher for fresh keys.</summary>
internal enum RefreshStatus
{
    /// <summary>A fetch ran (or was joined) and a new snapshot is in place.</summary>
    Refreshed,

    /// <summary>Nothing needed fetching: the provider was already loaded.</summary>
    NotNeeded,

    /// <summary>No fetch, because the minimum interval or a retry backoff has not passed.</summary>
    Throttled,

    /// <summary>The fetch ran and failed; the last good snapshot, if any, is kept.</summary>
    Failed,
}

/// <summary>Result of a refresh request. <see cref="Snapshot"/> is the provider's current data afterwards.</summary>
internal sealed record RefreshResult(
    RefreshStatus Status,
    ProviderSnapshot? Snapshot,
    string? ErrorCode = null,
    TimeSpan Duration = default,
    TimeSpan? RetryAfter = null);
