using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Farm;

namespace OidcRp.Providers;

/// <summary>What became of a token whose kid the cached JWKS lacked: the validation result and its audit classification.</summary>
internal sealed record KidMissOutcome(TokenValidationResult Result, string Category, string? Reason, bool Refreshed, TimeSpan? Duration)
{
    public bool Recovered => Result.IsValid;
}

/// <summary>
/// The kid-miss rule, whole. A token that passed every check needing no key names a kid the provider's cached
/// JWKS lacks (found by type, never by message text). In order:
/// <list type="number">
/// <item>Keys fetched since the token arrived may already hold the kid (an admin, scheduled or other kid-miss
/// fetch): verify with them, at no cost.</item>
/// <item>A kid a fetch looked up within the window and did not find is refused without a fetch
/// (<c>kid_recently_looked_up</c>): the same unknown kid never costs two fetches per window.</item>
/// <item>A fetch in flight is joined. If it started after the token arrived, its answer is final; if it started
/// before (its JWKS may predate the key), a token still missing afterwards gets one follow-up fetch.</item>
/// <item>Otherwise a fetch is drawn from the path's budget (<c>kid_miss_budget_spent</c> when none is left);
/// a fetch that brought the kid and verified the token gives the draw back.</item>
/// <item>Exactly one re-verify with the keys the fetch brought; never a loop.</item>
/// </list>
/// Each path (ID tokens from the token endpoint, bearer tokens from anyone) has its own budget and memory, so a
/// flood on one never blocks recovery on the other. docs/refresh-rule.md gives the reasoning.
/// </summary>
internal sealed partial class KidMissRecovery(KeyRefresher refresher, TimeProvider time)
{
    /// <param name="entry">The provider.</param>
    /// <param name="path">Where the token came from: whose budget and memory the miss uses.</param>
    /// <param name="kid">The kid the token names (already checked to be well formed).</param>
    /// <param name="receivedAfterSequence">The latest fetch started when the token arrived.</param>
    /// <param name="failedSnapshot">The keys the token was checked against and failed with.</param>
    /// <param name="verify">The one re-verify, with keys that hold the kid.</param>
    /// <param name="cancellationToken">The caller's request.</param>
    public async Task<KidMissOutcome> RecoverAsync(ProviderEntry entry, KidMissPath path, string kid, long receivedAfterSequence,
        ProviderSnapshot failedSnapshot, Func<ProviderSnapshot, Task<TokenValidationResult>> verify, CancellationToken cancellationToken)
    {
        // One span per miss, whatever the path: the fetch it may start is a span of its own (OidcRp.RefreshKeys), in
        // a trace of its own, because a shared fetch never carries one caller's context (KeyRefresher.Start).
        using var activity = OidcRpActivity.Source.StartActivity(OidcRpActivity.RecoverKidMiss);
        activity?.SetTag("oidcrp.provider", entry.Id);
        activity?.SetTag("oidcrp.path", path == KidMissPath.IdToken ? "id_token" : "bearer");
        var outcome = await RecoverCoreAsync(entry, path, kid, receivedAfterSequence, failedSnapshot, verify, cancellationToken);
        activity?.SetTag("oidcrp.category", outcome.Category);
        activity?.SetTag("oidcrp.reason", outcome.Reason);
        activity?.SetTag("oidcrp.refreshed", outcome.Refreshed);
        if (!outcome.Recovered)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, outcome.Category);
        }
        return outcome;
    }

    private async Task<KidMissOutcome> RecoverCoreAsync(ProviderEntry entry, KidMissPath path, string kid, long receivedAfterSequence,
        ProviderSnapshot failedSnapshot, Func<ProviderSnapshot, Task<TokenValidationResult>> verify, CancellationToken cancellationToken)
    {
        var ledger = LedgerOf(entry, path);
        var farm = refresher.Farm;
        if (farm.IsShared)
        {
            // A farm: another instance may have fetched this rotation already; adopting its snapshot is free.
            await refresher.AdoptSharedForKidAsync(entry, kid);
        }
        // A fetch numbered above this started after the token arrived; one at or below it may predate the key.
        var seen = receivedAfterSequence;
        var refreshed = false;
        TimeSpan? duration = null;
        DateTimeOffset? ticket = null;
        string? farmTicket = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            Task<RefreshResult>? fetch = null;
            long fetchSequence = 0;
            string? refusal = null;
            var alreadyThere = false;
            // A farm's budget and memory of unknown kids are shared (KidMissRecovery.Farm.cs); asked once per attempt,
            // outside the gate, only when this instance would otherwise draw from its own budget.
            OidcKidMissVerdict? farmVerdict = null;
            bool askFarm;
        decide:
            askFarm = false;
            lock (entry.Gate)
            {
                var now = time.GetUtcNow();
                if (entry.Snapshot is { } current && current.Sequence > failedSnapshot.Sequence && current.HasKid(kid))
                {
                    alreadyThere = true; // a fetch since the miss (admin, scheduled, another token's) already brought it: free
                }
                else if (ledger.RecentlyMissing(kid, now))
                {
                    refusal = OidcRpReasons.KidRecentlyLookedUp;
                }
                else if (KeyRefresher.InFlightUnderGate(entry) is { } inFlight)
                {
                    (fetch, fetchSequence) = inFlight;
                }
                else if (farm.IsShared && farmVerdict is null)
                {
                    askFarm = true;
                }
                else if (farmVerdict == OidcKidMissVerdict.Drawn)
                {
                    (fetch, fetchSequence) = refresher.StartKidMissUnderGate(entry, path);
                }
                else if (ledger.TryDraw(now, out var drawn))
                {
                    ticket = drawn;
                    (fetch, fetchSequence) = refresher.StartKidMissUnderGate(entry, path);
                }
                else
                {
                    refusal = OidcRpReasons.KidMissBudgetSpent;
                }
            }
            if (askFarm)
            {
                (farmVerdict, refusal, farmTicket) = await DrawFromFarmAsync(entry, path, kid, farmTicket);
                if (refusal is not null)
                {
                    return Refused(entry, kid, refusal, refreshed, duration);
                }
                goto decide;
            }
            if (alreadyThere)
            {
                break;
            }
            if (fetch is null)
            {
                return Refused(entry, kid, refusal!, refreshed, duration); // counted and logged outside the gate
            }

            var result = await fetch.WaitAsync(cancellationToken);
            refreshed = true;
            duration = result.Duration;
            if (result.Status == RefreshStatus.Failed)
            {
                return Classified(entry, kid, Failure("The signing keys could not be refreshed."), OidcAuditCategories.JwksUnreachable,
                    result.ErrorCode, refreshed, duration);
            }
            if (Has(entry.Snapshot!, kid))
            {
                break;
            }
            if (fetchSequence > seen)
            {
                // Looked up by a fetch that started after the token arrived: the provider does not publish it.
                lock (entry.Gate)
                {
                    ledger.RememberMissing(kid, time.GetUtcNow());
                }
                await farm.RememberMissingKidAsync(entry.Id, path, kid, refresher.Policy.Options.KidMissWindow);
                return Classified(entry, kid, Failure("The token's kid is not in the provider's JWKS."), OidcAuditCategories.KidMismatchUnrecovered,
                    OidcRpReasons.KidNotFound, refreshed, duration);
            }
            seen = fetchSequence; // joined a fetch older than the token: one follow-up, newer than it
        }

        var keys = entry.Snapshot!;
        if (!Has(keys, kid))
        {
            // Two joined fetches, both older than the token (cannot happen with one fetch in flight at a time).
            return Classified(entry, kid, Failure("The token's kid is not in the provider's JWKS."), OidcAuditCategories.KidMismatchUnrecovered,
                OidcRpReasons.KidNotFound, refreshed, duration);
        }

        // Exactly one re-verify with the keys that hold the kid.
        var second = await verify(keys);
        if (second.IsValid)
        {
            if (ticket is { } draw)
            {
                lock (entry.Gate)
                {
                    ledger.Refund(draw); // a genuine rotation: only unpublished kids spend the budget
                }
            }
            if (farmTicket is not null)
            {
                await farm.RefundKidMissAsync(entry.Id, path, farmTicket);
            }
            return Classified(entry, kid, second, OidcAuditCategories.KidMismatchRecovered, null, refreshed, duration);
        }
        return Classified(entry, kid, second, OidcAuditCategories.IdTokenInvalid, TokenFailureReasons.From(second.Exception), refreshed, duration);
    }

    /// <summary>How many fetches the path's budget has spent in the current window (status view, tests).</summary>
    public int Spent(ProviderEntry entry, KidMissPath path)
    {
        lock (entry.Gate)
        {
            return entry.LedgerUnderGate(path, refresher.Policy).Spent(time.GetUtcNow());
        }
    }

    private KidMissLedger LedgerOf(ProviderEntry entry, KidMissPath path)
    {
        lock (entry.Gate)
        {
            return entry.LedgerUnderGate(path, refresher.Policy);
        }
    }

    // Without kids on every key, a kid-absent key could be the one: only an all-kid JWKS can prove a kid missing.
    private static bool Has(ProviderSnapshot snapshot, string kid) => !snapshot.EveryKeyHasKid || snapshot.HasKid(kid);

    private static TokenValidationResult Failure(string message) =>
        new() { IsValid = false, Exception = new SecurityTokenSignatureKeyNotFoundException(message) };

    private KidMissOutcome Refused(ProviderEntry entry, string kid, string reason, bool refreshed, TimeSpan? duration) =>
        Classified(entry, kid, Failure("The token's kid is unknown and no fetch was allowed for it."), OidcAuditCategories.KidMismatchThrottled,
            reason, refreshed, duration);

    private KidMissOutcome Classified(ProviderEntry entry, string kid, TokenValidationResult result, string category, string? reason,
        bool refreshed, TimeSpan? duration)
    {
        refresher.CountKidMiss(entry, category, reason, AuditText.Clean(kid, AuditText.MaxKid)!);
        return new KidMissOutcome(result, category, reason, refreshed, duration);
    }
}
