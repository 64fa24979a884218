using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The bearer path on the login's key snapshots: one fetch per rotation whichever path sees it first, forged-kid floods
/// held to the bearer budget while a login recovers, and revoked kids refused by name with no fetch. JWKS requests are
/// counted at the OP.
/// </summary>
public sealed class BearerKeyTests : BearerTestBase
{
    [Fact]
    public async Task A_rotation_seen_by_an_api_call_costs_one_fetch_shared_with_the_login()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(1, Op.Count("jwks"));
        Op.Rotate("op-key-2", TestOpRotation.KeepOld);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(2, Op.Count("jwks")); // exactly one fetch for the rotation

        using var browser = Rp.Browser();
        using (var login = await browser.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }
        Assert.Equal(2, Op.Count("jwks")); // the login uses the key the API call brought
        var recovered = Assert.Single(Rp.Audit.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered);
        Assert.Equal((OidcAuditPaths.Bearer, "op-key-2", true), (recovered.Path, recovered.Kid, recovered.KeysRefreshed));
        var login2 = Assert.Single(Rp.Audit.Rows, r => r.Category == OidcAuditCategories.LoginSucceeded);
        Assert.Equal(OidcAuditPaths.Login, login2.Path);
    }

    [Fact]
    public async Task A_rotation_seen_by_a_login_serves_the_api_without_a_fetch()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Op.Rotate("op-key-2", TestOpRotation.DropOld);
        using var browser = Rp.Browser();
        using (await browser.LoginAsync("alpha"))
        {
        }
        Assert.Equal(2, Op.Count("jwks"));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(2, Op.Count("jwks"));
        Assert.Single(Rp.Audit.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered && r.Path == OidcAuditPaths.Login);
    }

    [Fact]
    public async Task A_forged_kid_flood_stays_within_the_bearer_budget_while_a_login_recovers()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        var budget = new OidcKeyPolicyOptions().BearerKidMissBudget;
        const int Flood = 40;
        for (var i = 0; i < Flood; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken(kid: $"forged-{i}")));
        }
        Assert.Equal(1 + budget, Op.Count("jwks")); // the flood cost the OP the bearer budget, no more

        Op.Rotate("op-key-2", TestOpRotation.KeepOld);
        using var browser = Rp.Browser();
        using (var login = await browser.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }
        Assert.Equal(2 + budget, Op.Count("jwks")); // the login's own budget: one fetch, recovered
        Assert.Single(Rp.Audit.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered && r.Path == OidcAuditPaths.Login);

        // The API recovers too, from the login's fetch: no further request.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(2 + budget, Op.Count("jwks"));

        // The flood is in the audit, aggregated: few rows, counting every forged token.
        await Rp.FlushAuditAsync();
        var flood = BearerRows.Where(r => r.Category is OidcAuditCategories.KidMismatchUnrecovered or OidcAuditCategories.KidMismatchThrottled).ToList();
        Assert.Equal(Flood, flood.Sum(r => r.Count));
        Assert.True(flood.Count <= 4, $"{flood.Count} rows for the flood");
    }

    [Fact]
    public async Task A_revoked_kid_is_refused_by_name_without_a_fetch_until_unrevoked()
    {
        var token = Op.CreateAccessToken();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token));
        using var admin = await SignedInAdminAsync();
        var jwks = Op.Count("jwks");

        var (status, body) = await PostJsonAsync(admin, "/auth/oidc/providers/alpha/keys/revoke", "{\"kid\":\"op-key-1\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"revoked\":[\"op-key-1\"]", body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(token));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken())); // the provider still publishes and signs with it
        Assert.Equal(jwks, Op.Count("jwks"));
        await Rp.FlushAuditAsync();
        var revokeRow = Assert.Single(Rp.Audit.Rows, r => r.Category == OidcAuditCategories.AdminKeyRevocation);
        Assert.Equal((OidcRpReasons.KidRevoke, "alpha:admin", "op-key-1"), (revokeRow.Reason, revokeRow.Actor, revokeRow.Kid));
        Assert.Equal(2, BearerRows.Where(r => r.Reason == OidcRpReasons.KidRevoked).Sum(r => r.Count));

        // The login path refuses it too.
        using (var browser = Rp.Browser())
        using (await browser.LoginAsync("alpha"))
        {
        }
        Assert.Contains(Rp.Audit.Rows, r => r.Path == OidcAuditPaths.Login && r.Reason == OidcRpReasons.KidRevoked);
        Assert.Equal(jwks, Op.Count("jwks"));

        (status, _) = await PostJsonAsync(admin, "/auth/oidc/providers/alpha/keys/unrevoke", "{\"kid\":\"op-key-1\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(token));
    }

    [Fact]
    public async Task A_kid_with_a_slash_can_be_revoked_and_a_malformed_one_is_refused()
    {
        using var admin = await SignedInAdminAsync();
        var (status, body) = await PostJsonAsync(admin, "/auth/oidc/providers/alpha/keys/revoke", "{\"kid\":\"a/b/../c\"}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("a/b/../c", body, StringComparison.Ordinal);

        (status, body) = await PostJsonAsync(admin, "/auth/oidc/providers/alpha/keys/revoke", "{\"kid\":\"bad kid\\u0000\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(OidcRpReasons.KidMalformed, body, StringComparison.Ordinal);
        (status, _) = await PostJsonAsync(admin, "/auth/oidc/providers/nope/keys/revoke", "{\"kid\":\"k\"}");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task A_plain_user_cannot_revoke()
    {
        using var user = Rp.Browser();
        using (await user.LoginAsync("alpha"))
        {
        }
        Rp.Audit.Clear();
        var (status, _) = await PostJsonAsync(user, "/auth/oidc/providers/alpha/keys/revoke", "{\"kid\":\"op-key-1\"}");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        await Rp.FlushAuditAsync();
        var denied = Assert.Single(Rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.AdminKeyRevocation, OidcAuditOutcomes.Denied, OidcRpReasons.Forbidden, "alpha:alice"),
            (denied.Category, denied.Outcome, denied.Reason, denied.Actor));
    }

    [Fact]
    public async Task The_provider_status_shows_key_age_hits_misses_and_revoked_kids()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken(kid: "never-published")));
        var providers = (IOidcProviders)Rp.Services.GetService(typeof(IOidcProviders))!;
        var beforeRevoke = providers.GetStatus("alpha")!;
        // The forged kid's fetch brought a new snapshot: counters restart with it.
        Assert.Equal((0, 0), (beforeRevoke.KeyHits, beforeRevoke.KeyMisses));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Rp.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken(kid: "never-published"))); // remembered in the window: no fetch

        var revocations = (IOidcKeyRevocations)Rp.Services.GetService(typeof(IOidcKeyRevocations))!;
        await revocations.RevokeAsync("alpha", "op-key-1", "test", CancellationToken.None);
        var status = providers.GetStatus("alpha")!;
        Assert.Equal((1L, 1L), (status.KeyHits, status.KeyMisses));
        Assert.Equal(TimeSpan.FromSeconds(10), status.KeysAge);
        Assert.Equal(2, Op.Count("jwks"));
        Assert.Equal(["op-key-1"], status.RevokedKids);
        Assert.Empty(status.Kids);
    }
}
