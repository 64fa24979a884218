using OidcRp.Audit;
using OidcRp.Farm;

namespace OidcRp.Providers;

/// <summary>
/// The kid-miss rule in a farm: the budget and the memory of unknown kids are the farm's (one atomic call to the shared
/// store), so a forged-kid flood spread over N instances costs the OP one budget, not N. When the store cannot answer,
/// the instance's own ledger decides, as for a single instance (the budget is then per instance again).
/// </summary>
internal sealed partial class KidMissRecovery
{
    private async Task<(OidcKidMissVerdict Verdict, string? Refusal, string? Ticket)> DrawFromFarmAsync(ProviderEntry entry, KidMissPath path,
        string kid, string? previousTicket)
    {
        var policy = refresher.Policy.Options;
        var budget = path == KidMissPath.Bearer ? policy.BearerKidMissBudget : policy.KidMissBudget;
        var draw = await refresher.Farm.DrawKidMissAsync(entry.Id, path, kid, budget, policy.KidMissWindow);
        return draw.Verdict switch
        {
            OidcKidMissVerdict.RecentlyMissing => (draw.Verdict, OidcRpReasons.KidRecentlyLookedUp, previousTicket),
            OidcKidMissVerdict.BudgetSpent => (draw.Verdict, OidcRpReasons.KidMissBudgetSpent, previousTicket),
            OidcKidMissVerdict.Drawn => (draw.Verdict, null, draw.Ticket),
            _ => (OidcKidMissVerdict.Unavailable, null, previousTicket),
        };
    }
}
