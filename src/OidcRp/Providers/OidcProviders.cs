using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Providers.Sources;

namespace OidcRp.Providers;

/// <summary>The public face of the registry: status snapshots and audited admin refreshes.</summary>
internal sealed class OidcProviders(OidcProviderRegistry registry, KeyRefresher refresher, AuditWriter audit,
    IHttpContextAccessor httpContextAccessor, ILogger<OidcProviders> logger, KeyUsage usage, KeyRevocations revocations, TimeProvider time,
    KidMissRecovery kidMisses) : IOidcProviders
{
    public IReadOnlyList<OidcProviderStatus> GetStatuses() => registry.All.Select(ToStatus).ToList();

    public async Task<OidcProviderPage> ListAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, OidcProviderPage.MaxLimit);
        // Keyset paging over both sources, ordered by id ignoring case: configuration providers from memory, store
        // providers from the store's own page (those not loaded are listed from their row, without loading them).
        var comparer = StringComparer.OrdinalIgnoreCase;
        var items = registry.ConfiguredEntries
            .Where(e => afterId is null || comparer.Compare(e.Id, afterId) > 0)
            .Select(ToStatus)
            .ToList();
        if (registry.Store is { } store)
        {
            var records = await store.ListAsync(afterId, limit, cancellationToken);
            items.AddRange(records
                .Where(r => !registry.IsConfigured(r.Options.Id))
                .Select(r => registry.FindStored(r.Options.Id) is { } loaded ? ToStatus(loaded) : Unloaded(r)));
        }
        var page = items.OrderBy(s => s.Id, comparer).Take(limit).ToList();
        return new OidcProviderPage
        {
            Providers = page,
            Next = page.Count == limit ? page[^1].Id : null,
        };
    }

    private static OidcProviderStatus Unloaded(OidcProviderRecord record) => new()
    {
        Id = record.Options.Id,
        DisplayName = record.Options.EffectiveDisplayName,
        Issuer = record.Options.ExpectedIssuer,
        Version = record.Version,
        Source = ProviderSource.Store.Name(),
    };

    public OidcProviderStatus? GetStatus(string providerId) => registry.Find(providerId) is { } entry ? ToStatus(entry) : null;

    public async Task<OidcRefreshResult> RefreshAsync(string providerId, string actor, CancellationToken cancellationToken)
    {
        if (await registry.FindAsync(providerId, cancellationToken) is not { } entry)
        {
            return new OidcRefreshResult { Status = OidcRefreshStatus.NotFound };
        }
        var before = Kids(entry.Snapshot);
        var beforeFingerprint = entry.Snapshot?.Fingerprint;
        var result = await refresher.RefreshForAdminAsync(entry, cancellationToken);
        var after = Kids(entry.Snapshot);
        var status = result.Status switch
        {
            RefreshStatus.Throttled => OidcRefreshStatus.Throttled,
            RefreshStatus.Failed => OidcRefreshStatus.Failed,
            _ => OidcRefreshStatus.Refreshed,
        };
        var outcome = status == OidcRefreshStatus.Refreshed ? OidcAuditOutcomes.Success : OidcAuditOutcomes.Failure;
        Log.AdminRefresh(logger, entry.Id, AuditText.Clean(actor, AuditText.MaxShort)!, status.ToString());
        await audit.WriteAsync(httpContextAccessor.HttpContext, new OidcAuditRecordDraft(entry.Id, OidcAuditCategories.AdminRefresh, outcome)
        {
            Actor = actor,
            Reason = status switch
            {
                OidcRefreshStatus.Throttled => OidcRpReasons.Throttled,
                OidcRefreshStatus.Failed => result.ErrorCode,
                _ => null,
            },
            KeysRefreshed = status == OidcRefreshStatus.Refreshed,
            RefreshDuration = status == OidcRefreshStatus.Refreshed ? result.Duration : null,
            KidsBefore = before,
            KidsAfter = after,
        });
        return new OidcRefreshResult
        {
            Status = status,
            ProviderId = entry.Id,
            KidsBefore = before,
            KidsAfter = after,
            Changed = beforeFingerprint != entry.Snapshot?.Fingerprint,
            RetryAfter = result.RetryAfter,
            ErrorCode = result.ErrorCode,
        };
    }

    private static List<string> Kids(ProviderSnapshot? snapshot) =>
        snapshot is null ? [] : snapshot.Kids.Order(StringComparer.Ordinal).ToList();

    private OidcProviderStatus ToStatus(ProviderEntry entry) => WithKeyStatus(entry, BaseStatus(entry));

    // The key view of the gateway seed: age, hits and misses since the fetch, revoked kids (left out of Kids).
    private OidcProviderStatus WithKeyStatus(ProviderEntry entry, OidcProviderStatus status)
    {
        var (hits, misses) = usage.Read(entry);
        var revoked = revocations.GetRevoked(entry.Id);
        return status with
        {
            Kids = revoked.Count == 0 ? status.Kids : status.Kids.Where(k => !revoked.Contains(k, StringComparer.Ordinal)).ToList(),
            KeysAge = status.KeysFetchedAt is { } fetched ? time.GetUtcNow() - fetched : null,
            KeyHits = hits,
            KeyMisses = misses,
            RevokedKids = revoked,
            KidMissBudgetSpent = kidMisses.Spent(entry, KidMissPath.IdToken),
            BearerKidMissBudgetSpent = kidMisses.Spent(entry, KidMissPath.Bearer),
        };
    }

    private static OidcProviderStatus BaseStatus(ProviderEntry entry)
    {
        var snapshot = entry.Snapshot;
        lock (entry.Gate)
        {
            return new OidcProviderStatus
            {
                Id = entry.Id,
                DisplayName = entry.Options.EffectiveDisplayName,
                Version = entry.Version,
                Source = entry.Source.Name(),
                RefusedVersion = entry.Refused?.Version,
                RefusedErrors = entry.Refused?.Errors ?? [],
                RefusedAt = entry.Refused?.At,
                Issuer = snapshot?.Issuer ?? entry.Options.ExpectedIssuer,
                Loaded = snapshot is not null,
                Kids = Kids(snapshot),
                KeySetFingerprint = snapshot?.Fingerprint,
                DiscoveryFetchedAt = snapshot?.DiscoveryFetchedAt,
                KeysFetchedAt = snapshot?.KeysFetchedAt,
                LastAttemptAt = entry.LastAttemptAt,
                NextRefreshAt = entry.NextRefreshAt,
                LastErrorCode = entry.LastErrorCode,
                LastErrorAt = entry.LastFailureAt,
                Recoveries = Interlocked.Read(ref entry.Recoveries),
                KidMissFailures = Interlocked.Read(ref entry.KidMissFailures),
                Refreshes = Interlocked.Read(ref entry.Refreshes),
                FailedRefreshes = Interlocked.Read(ref entry.FailedRefreshes),
            };
        }
    }
}
