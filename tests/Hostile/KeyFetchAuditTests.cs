using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Providers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// <c>keys_fetched</c> rows: exactly one per JWKS request the OP saw (joined fetches write one row), the trigger as
/// the reason, the kid sets before and after (a rotation is a row whose sets differ), and a forged-kid flood
/// writing no more rows than the bearer budget.
/// </summary>
public sealed class KeyFetchAuditTests : BearerTestBase
{
    [Fact]
    public async Task Every_fetch_writes_one_row_naming_its_trigger_and_a_flood_writes_no_more_than_the_budget()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken())); // first use
        Op.Rotate("op-key-2", TestOpRotation.KeepOld);
        using (var browser = Rp.Browser())
        using (var login = await browser.LoginAsync("alpha")) // the login meets the new kid first
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }

        Op.Rotate("op-key-3", TestOpRotation.DropOld);
        var token = Op.CreateAccessToken();
        var herd = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => StatusAsync(token))); // eight calls, one shared fetch
        Assert.All(herd, s => Assert.Equal(HttpStatusCode.OK, s));

        var budget = new OidcKeyPolicyOptions().BearerKidMissBudget;
        const int Flood = 25;
        for (var i = 0; i < Flood; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken(kid: $"forged-{i}")));
        }

        var providers = Rp.Services.GetRequiredService<IOidcProviders>();
        Assert.Equal(budget, providers.GetStatus("alpha")!.BearerKidMissBudgetSpent);
        Assert.Equal(0, providers.GetStatus("alpha")!.KidMissBudgetSpent); // the login's draw was given back: a genuine rotation
        Assert.Equal(OidcRefreshStatus.Refreshed, (await providers.RefreshAsync("alpha", "test:operator", CancellationToken.None)).Status);

        // The background refresh's own call, made here (advancing the clock would let the timer race it).
        var entry = Rp.Services.GetRequiredService<OidcProviderRegistry>().Find("alpha")!;
        await Rp.Services.GetRequiredService<KeyRefresher>().RefreshScheduledAsync(entry, CancellationToken.None);

        Op.JwksDown = true;
        Rp.Time.Advance(new OidcKeyPolicyOptions().AdminRefreshMinInterval);
        Assert.Equal(OidcRefreshStatus.Failed, (await providers.RefreshAsync("alpha", "test:operator", CancellationToken.None)).Status);
        await Rp.FlushAuditAsync();

        var rows = Rp.Audit.FetchRows;
        Assert.Equal(Op.Count("jwks"), rows.Count); // one row per request the OP saw, no more, no fewer
        Assert.Equal(
            [
                (OidcRpReasons.FetchInitial, OidcAuditOutcomes.Success),
                (OidcRpReasons.FetchKidMissLogin, OidcAuditOutcomes.Success),
                (OidcRpReasons.FetchKidMissBearer, OidcAuditOutcomes.Success),
                .. Enumerable.Repeat((OidcRpReasons.FetchKidMissBearer, OidcAuditOutcomes.Success), budget),
                (OidcRpReasons.FetchAdmin, OidcAuditOutcomes.Success),
                (OidcRpReasons.FetchScheduled, OidcAuditOutcomes.Success),
                (OidcRpReasons.FetchAdmin, OidcAuditOutcomes.Failure),
            ],
            rows.Select(r => (r.Reason!, r.Outcome)));
        Assert.All(rows, r => Assert.Equal(("alpha", 1, (string?)null), (r.ProviderId, r.Count, r.ClientIp)));

        // The key-set timeline: which rows changed the set (rotations), and the sets themselves.
        Assert.Equal([[], ["op-key-1"], ["op-key-1", "op-key-2"]], rows.Take(3).Select(r => r.KidsBefore!));
        Assert.Equal([["op-key-1"], ["op-key-1", "op-key-2"], ["op-key-3"]], rows.Take(3).Select(r => r.KidsAfter!));
        var rotations = rows.Where(r => r.KidsBefore!.Count > 0 && !r.KidsBefore!.SequenceEqual(r.KidsAfter!)).Select(r => r.Reason).ToList();
        Assert.Equal([OidcRpReasons.FetchKidMissLogin, OidcRpReasons.FetchKidMissBearer], rotations);
        Assert.Equal(["op-key-3"], rows[^1].KidsAfter); // a failed fetch keeps the last good keys
        Assert.False(rows[^1].KeysRefreshed);
    }
}
