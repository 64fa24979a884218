using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>
/// API calls with the OP's own JWT access tokens (client credentials) on the same registry as the login, at each OP that
/// issues them: rotations shared by both paths with one JWKS fetch, forged-kid floods within the bearer budget, revoked kids
/// and RFC 6750 answers. JWKS requests are counted at the OP.
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class BearerScenarios(OpsFixture ops)
{
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Api_call_after_a_rotation_recovers_with_one_JWKS_fetch_that_the_next_login_shares(string op)
    {
        await using var s = await BearerApi.StartAsync(ops.GetIssuingAccessTokens(op, RotationMode.DropOld), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        Assert.Equal(200, await s.StatusAsync(await s["alpha"].ClientCredentialsTokenAsync()));
        var before = await s["alpha"].CountsAsync();

        var kid = await s["alpha"].RotateAsync(RotationMode.DropOld);
        var token = await s["alpha"].ClientCredentialsTokenAsync();
        var first = await s.StatusAsync(token);
        var again = await s.StatusAsync(token);
        await Expect.SignedIn(s.LoginAsync("alpha"));

        Assert.Equal((200, 200), (first, again));
        Assert.Equal(kid, BearerApi.Kid(token));
        Assert.Equal(before.Jwks + 1, (await s["alpha"].CountsAsync()).Jwks); // one fetch for the API call and the login
        await s.Rp.FlushAuditAsync();
        var recovered = Assert.Single(s.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered);
        Assert.Equal((OidcAuditPaths.Bearer, kid, true), (recovered.Path, recovered.Kid, recovered.KeysRefreshed));
        Assert.Equal((OidcAuditCategories.LoginSucceeded, OidcAuditPaths.Login), (s.Rows[^1].Category, s.Rows[^1].Path));
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Login_after_a_rotation_recovers_with_one_JWKS_fetch_that_the_next_api_call_shares(string op)
    {
        await using var s = await BearerApi.StartAsync(ops.GetIssuingAccessTokens(op, RotationMode.DropOld), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        Assert.Equal(200, await s.StatusAsync(await s["alpha"].ClientCredentialsTokenAsync()));
        var before = await s["alpha"].CountsAsync();

        var kid = await s["alpha"].RotateAsync(RotationMode.DropOld);
        await Expect.SignedIn(s.LoginAsync("alpha"));
        var token = await s["alpha"].ClientCredentialsTokenAsync();
        var status = await s.StatusAsync(token);

        Assert.Equal(200, status);
        Assert.Equal(before.Jwks + 1, (await s["alpha"].CountsAsync()).Jwks);
        await s.Rp.FlushAuditAsync();
        var recovered = Assert.Single(s.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered);
        Assert.Equal((OidcAuditPaths.Login, kid), (recovered.Path, recovered.Kid));
        Assert.DoesNotContain(s.Rows, r => r.Path == OidcAuditPaths.Bearer); // an accepted API call writes no row
        s.Ran();
    }

    /// <summary>
    /// Inside one kid-miss window (the RP's clock does not move): forged kids on the API cost the OP exactly the bearer
    /// budget, and a login that meets a real rotation in the middle of the flood still recovers with its own fetch; genuine
    /// API calls with the new key then pass with no fetch more.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Forged_kid_flood_on_the_api_costs_the_bearer_budget_while_a_login_recovers_a_rotation(string op)
    {
        await using var s = await BearerApi.StartAsync(ops.GetIssuingAccessTokens(op, RotationMode.DropOld), "alpha");
        var keys = s.Rp.Services.GetRequiredService<IOptions<OidcRpOptions>>().Value.Keys;
        await Expect.SignedIn(s.LoginAsync("alpha"));
        var genuine = await s["alpha"].ClientCredentialsTokenAsync();
        Assert.Equal(200, await s.StatusAsync(genuine));
        var before = (await s["alpha"].CountsAsync()).Jwks;
        var statuses = new List<int>();

        for (var i = 0; i < keys.BearerKidMissBudget + 10; i++)
        {
            statuses.Add(await s.StatusAsync(BearerApi.ForgedKid(genuine)));
        }
        var afterFirstHalf = (await s["alpha"].CountsAsync()).Jwks;
        var kid = await s["alpha"].RotateAsync(RotationMode.DropOld);
        await Expect.SignedIn(s.LoginAsync("alpha"));
        var afterLogin = (await s["alpha"].CountsAsync()).Jwks;
        for (var i = 0; i < 10; i++)
        {
            statuses.Add(await s.StatusAsync(BearerApi.ForgedKid(genuine)));
        }
        var fresh = await s["alpha"].ClientCredentialsTokenAsync();
        var freshStatus = await s.StatusAsync(fresh);

        Assert.All(statuses, x => Assert.Equal(401, x));
        Assert.Equal(keys.BearerKidMissBudget, afterFirstHalf - before);
        Assert.Equal(afterFirstHalf + 1, afterLogin); // the login's own recovery, not blocked by the API's spent budget
        Assert.Equal(200, freshStatus);
        Assert.Equal(afterLogin, (await s["alpha"].CountsAsync()).Jwks);
        await s.Rp.FlushAuditAsync();
        Assert.Contains(s.Rows, r => (r.Category, r.Path, r.Kid) == (OidcAuditCategories.KidMismatchRecovered, OidcAuditPaths.Login, kid));
        Assert.True(s.Rows.Any(r => (r.Path, r.Reason) == (OidcAuditPaths.Bearer, OidcRpReasons.KidMissBudgetSpent)),
            "rows: " + string.Join("; ", s.Rows.Select(r => $"{r.Path} {r.Category} {r.Reason} x{r.Count}")));
        Assert.True(TimeSpan.Zero < keys.KidMissWindow, "the scenario runs inside one kid-miss window: the RP's clock never moves");
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Revoked_kid_refuses_the_same_token_with_kid_revoked_and_no_fetch_until_unrevoked(string op)
    {
        await using var s = await BearerApi.StartAsync(ops.GetIssuingAccessTokens(op), "alpha");
        using var admin = s.Browser("admin");
        await Expect.SignedIn(admin.LoginAsync("alpha"));
        var token = await s["alpha"].ClientCredentialsTokenAsync();
        var kid = BearerApi.Kid(token);
        var accepted = await s.StatusAsync(token);
        var before = await s["alpha"].CountsAsync();

        using var revoke = await s.RevocationAsync(admin, "alpha", "revoke", kid);
        using var refused = await s.CallAsync(token);
        var afterRefusal = await s["alpha"].CountsAsync();
        using var unrevoke = await s.RevocationAsync(admin, "alpha", "unrevoke", kid);
        var acceptedAgain = await s.StatusAsync(token);

        Assert.Equal(200, accepted);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", BearerApi.Challenge(refused));
        Assert.Equal(before, afterRefusal); // the OP still publishes the kid: no fetch, no discovery
        Assert.Equal(HttpStatusCode.OK, unrevoke.StatusCode);
        Assert.Equal(200, acceptedAgain);
        Assert.Equal(before, await s["alpha"].CountsAsync());
        await s.Rp.FlushAuditAsync();
        var row = Assert.Single(s.Rows, r => r.Category == OidcAuditCategories.AccessTokenInvalid);
        Assert.Equal((OidcAuditPaths.Bearer, OidcRpReasons.KidRevoked, kid), (row.Path, row.Reason, row.Kid));
        var actions = s.Rows.Where(r => r.Category == OidcAuditCategories.AdminKeyRevocation).ToList();
        Assert.Equal(2, actions.Count);
        Assert.All(actions, r => Assert.Equal($"alpha:{s.Rows[0].Subject}", r.Actor));
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Api_answers_as_RFC_6750_says_without_saying_why(string op)
    {
        await using var s = await BearerApi.StartAsync(ops.GetIssuingAccessTokens(op), "alpha");
        var genuine = await s["alpha"].ClientCredentialsTokenAsync();

        using var none = await s.CallAsync(null);
        using var forged = await s.CallAsync(BearerApi.ForgedKid(genuine));
        using var scoped = await s.CallAsync(genuine, BearerApi.Scoped);
        using var ok = await s.CallAsync(genuine);

        Assert.Equal((HttpStatusCode.Unauthorized, "Bearer"), (none.StatusCode, BearerApi.Challenge(none)));
        Assert.Equal((HttpStatusCode.Unauthorized, "Bearer error=\"invalid_token\""), (forged.StatusCode, BearerApi.Challenge(forged)));
        Assert.Equal(HttpStatusCode.Forbidden, scoped.StatusCode);
        Assert.StartsWith("Bearer error=\"insufficient_scope\"", BearerApi.Challenge(scoped));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        foreach (var refused in new[] { none, forged, scoped })
        {
            Assert.Equal("", await refused.Content.ReadAsStringAsync());
        }
        s.Ran();
    }
}
