using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Farm;

namespace OidcRp.Providers;

/// <summary>
/// A farm's share of the refresher (<see cref="IOidcFarmState"/>): what this instance fetches from the OP is shared as a
/// MAC-protected snapshot, and a fresh shared snapshot is adopted instead of a fetch of its own, so a rotation costs
/// the OP one JWKS fetch per farm. An adopted snapshot is parsed and checked exactly like a fetched one (issuer,
/// pinned issuer, key rules), so a snapshot that passes the MAC still cannot carry what the OP could not. It never
/// replaces a snapshot this instance holds from a newer shared version, and is never adopted while a fetch of this
/// instance is in flight (that fetch is at least as new). Without a shared store nothing here does anything.
/// </summary>
internal sealed partial class KeyRefresher
{
    /// <summary>The farm's shared state (the local default for a single instance).</summary>
    internal FarmSync Farm { get; }

    /// <summary>
    /// For a kid miss: when the shared snapshot is newer than this instance's and holds <paramref name="kid"/>, adopts
    /// it (another instance already fetched the rotation). True when the entry now holds the kid.
    /// </summary>
    internal async Task<bool> AdoptSharedForKidAsync(ProviderEntry entry, string kid)
    {
        if (!Farm.IsShared || await Farm.ReadSnapshotAsync(entry) is not { } shared || shared.Version <= Farm.MarkOf(entry).Version)
        {
            return false;
        }
        return await TryAdoptAsync(entry, shared, sequence: null, requireKid: kid) is not null;
    }

    /// <summary>Another instance shared version <paramref name="version"/>: adopt it unless this instance holds it or newer.</summary>
    internal async Task<bool> AdoptSharedAsync(ProviderEntry entry, long version)
    {
        if (!Farm.IsShared || version <= Farm.MarkOf(entry).Version || entry.Snapshot is null)
        {
            return false; // a provider never loaded here loads on first use, from the shared snapshot
        }
        return await Farm.ReadSnapshotAsync(entry) is { } shared && shared.Version > Farm.MarkOf(entry).Version
            && await TryAdoptAsync(entry, shared, sequence: null, requireKid: null) is not null;
    }

    /// <summary>After the store came back: share what was fetched while it was away, or adopt what is newer there.</summary>
    internal async Task ResynchroniseAsync(ProviderEntry entry)
    {
        if (entry.Snapshot is not { } snapshot)
        {
            return;
        }
        var mark = Farm.MarkOf(entry);
        var shared = mark.Unpublished ? null : await Farm.ReadSnapshotAsync(entry);
        if (shared is null && snapshot.Documents is { } documents)
        {
            // Fetched while the store was away, or the store came back empty (restarted without persistence).
            await Farm.PublishSnapshotAsync(entry, documents.Discovery, documents.Jwks, snapshot.KeysFetchedAt, SharedTimeToLive);
        }
        else if (shared is not null && shared.Version > mark.Version)
        {
            await TryAdoptAsync(entry, shared, sequence: null, requireKid: null);
        }
    }

    // A shared snapshot older than the refresh interval is no better than fetching.
    private TimeSpan SharedTimeToLive => Options.RefreshInterval * 2;

    /// <summary>
    /// Inside a fetch this instance started (initial load, scheduled refresh): a fresh shared snapshot serves instead.
    /// Admin and kid-miss fetches always go to the OP (the operator asked; the kid may be newer than any snapshot).
    /// </summary>
    private async Task<RefreshResult?> SharedFirstAsync(ProviderEntry entry, RefreshTrigger trigger, long sequence)
    {
        if (!Farm.IsShared || trigger is not (RefreshTrigger.Initial or RefreshTrigger.Scheduled))
        {
            return null;
        }
        // Initial: anything younger than the refresh interval. Scheduled: only a snapshot newer than this instance's and
        // younger than half the interval, so the farm still fetches about once per interval.
        var maxAge = trigger == RefreshTrigger.Initial ? Options.RefreshInterval : Options.RefreshInterval / 2;
        if (await Farm.ReadSnapshotAsync(entry) is not { } shared || shared.Version <= Farm.MarkOf(entry).Version
            || _time.GetUtcNow() - shared.FetchedAt > maxAge)
        {
            return null;
        }
        return await TryAdoptAsync(entry, shared, sequence, requireKid: null) is { } snapshot ? new RefreshResult(RefreshStatus.Refreshed, snapshot) : null;
    }

    private async Task ShareAsync(ProviderEntry entry, ProviderSnapshot snapshot)
    {
        if (Farm.IsShared && snapshot.Documents is { } documents && ReferenceEquals(entry.Snapshot, snapshot))
        {
            await Farm.PublishSnapshotAsync(entry, documents.Discovery, documents.Jwks, snapshot.KeysFetchedAt, SharedTimeToLive);
        }
    }

    /// <summary>
    /// Parses the shared documents like a fetch and swaps them in. <paramref name="sequence"/> is the caller's own fetch
    /// (inside it); null takes a new sequence number, only while no fetch is in flight. An adoption writes its
    /// <c>keys_fetched</c> row (<c>fetch_farm_peer</c>): the key set changed here without a fetch of this instance.
    /// </summary>
    private async Task<ProviderSnapshot?> TryAdoptAsync(ProviderEntry entry, SharedSnapshot shared, long? sequence, string? requireKid)
    {
        var before = entry.Snapshot;
        if (TryAdopt(entry, shared, sequence, requireKid) is not { } adopted)
        {
            return null;
        }
        await AuditFetchAsync(entry, OidcRpReasons.FetchFarmPeer, succeeded: true, before, adopted, duration: null);
        return adopted;
    }

    private ProviderSnapshot? TryAdopt(ProviderEntry entry, SharedSnapshot shared, long? sequence, string? requireKid)
    {
        IssuerExpectation? expected;
        lock (entry.Gate)
        {
            expected = IssuerExpectation.For(entry.Options, entry.PinnedIssuer);
        }
        var (configuration, discoveryError) = MetadataParser.ParseDiscovery(shared.Discovery, expected, entry.Options.RequireHttpsMetadata);
        var (keys, keysError) = configuration is null ? (null, null) : MetadataParser.ParseJwks(shared.Jwks, Options.MaxKeys);
        if (configuration is null || keys is null)
        {
            Log.SharedSnapshotIgnored(_logger, entry.Id, discoveryError ?? keysError ?? "unparsable");
            return null;
        }
        if (requireKid is not null && !keys.Kids.Contains(requireKid))
        {
            return null;
        }
        ProviderSnapshot snapshot;
        lock (entry.Gate)
        {
            if (sequence is null && entry.InFlight is not null)
            {
                return null;
            }
            var number = sequence ?? entry.LastStartedSequence + 1;
            if (sequence is null)
            {
                Volatile.Write(ref entry.LastStartedSequence, number);
            }
            snapshot = Build(configuration, keys, shared.FetchedAt, number, entry.Options.SigningAlgorithms) with
            {
                IssuerRule = IssuerRule.For(entry.Options, configuration.Issuer),
                Documents = new SnapshotDocuments(shared.Discovery, shared.Jwks),
            };
            if (!entry.TrySwap(snapshot))
            {
                return null;
            }
            entry.PinnedIssuer ??= snapshot.Issuer;
            entry.ConsecutiveFailures = 0;
            entry.LastErrorCode = null;
            entry.LastFailureAt = null;
            entry.NextRefreshAt = Policy.NextScheduled(_time.GetUtcNow(), Random.Shared.NextDouble());
        }
        Farm.Advance(entry, shared.Version);
        Log.SharedSnapshotAdopted(_logger, entry.Id, shared.Version, snapshot.SigningKeys.Count);
        return snapshot;
    }
}
