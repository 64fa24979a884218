using OidcRp.Audit;

namespace OidcRp.Providers;

/// <summary>
/// One <c>keys_fetched</c> audit row per fetch of a provider's keys, written here because the refresher owns every
/// fetch and its outcome: joined fetches (herds, a kid miss that joins an admin refresh) write one row, not one per
/// caller. The reason is the trigger; the kid sets before and after make a rotation visible (the operator's view draws
/// these rows as the key-set timeline). Every trigger is bounded without a row cap of its own: kid misses by the
/// per-path budget, admin refreshes by the authorization policy and <c>AdminRefreshMinInterval</c>, first loads and
/// scheduled refreshes by their backoff, farm adoptions by the peers' own fetches.
/// </summary>
internal sealed partial class KeyRefresher
{
    private static string FetchReason(RefreshTrigger trigger, KidMissPath path) => trigger switch
    {
        RefreshTrigger.Initial => OidcRpReasons.FetchInitial,
        RefreshTrigger.Scheduled => OidcRpReasons.FetchScheduled,
        RefreshTrigger.Admin => OidcRpReasons.FetchAdmin,
        RefreshTrigger.KidMiss when path == KidMissPath.Bearer => OidcRpReasons.FetchKidMissBearer,
        _ => OidcRpReasons.FetchKidMissLogin,
    };

    /// <summary>Writes the row of one fetch (or adoption); never throws (<see cref="AuditWriter"/> swallows sink failures).</summary>
    private Task AuditFetchAsync(ProviderEntry entry, string reason, bool succeeded, ProviderSnapshot? before, ProviderSnapshot? after,
        TimeSpan? duration)
    {
        if (_audit is null)
        {
            return Task.CompletedTask;
        }
        // No HttpContext: the fetch is shared and runs off any request, so the row names no client.
        return _audit.WriteAsync(null, new OidcAuditRecordDraft(entry.Id, OidcAuditCategories.KeysFetched,
            succeeded ? OidcAuditOutcomes.Success : OidcAuditOutcomes.Failure)
        {
            Reason = reason,
            KeysRefreshed = succeeded,
            RefreshDuration = duration,
            KidsBefore = SortedKids(before),
            KidsAfter = SortedKids(after),
        });
    }

    private static List<string> SortedKids(ProviderSnapshot? snapshot) =>
        snapshot is null ? [] : snapshot.Kids.Order(StringComparer.Ordinal).ToList();
}
