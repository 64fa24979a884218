using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Farm;
using OidcRp.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace OidcRp.Tests.Hostile.Farm;

/// <summary>Three instances sharing Redis behave as one relying party towards the OP (issue 17).</summary>
public sealed class FarmTests(ITestOutputHelper output) : FarmTest
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task One_fetch_serves_the_farm_and_a_rotation_costs_one_JWKS_fetch_with_the_first_login_on_each_instance_succeeding()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp));
        }
        Assert.Equal(1, Op.Count("jwks")); // the second and third instances loaded the first one's shared snapshot

        Op.Rotate("op-key-2", TestOpRotation.DropOld);
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp)); // each instance's first login after the rotation
        }

        Assert.Equal(2, Op.Count("jwks"));
        Assert.Equal(1, Op.Count("discovery"));
        Assert.Contains(Rps[0].Audit.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered);
        Assert.All(Rps, rp => Assert.DoesNotContain(rp.Audit.Rows, r => r.Outcome == OidcAuditOutcomes.Failure));
        // keys_fetched: a row per request the OP saw, on the instance that made it; the others' rows say they adopted it.
        Assert.Equal(Op.Count("jwks"), Rps.Sum(rp => rp.Audit.FetchRows.Count(r => r.Reason != OidcRpReasons.FetchFarmPeer)));
        Assert.True(await EventuallyAsync(() => Rps.Skip(1).All(rp => rp.Audit.FetchRows.Any(r =>
                r.Reason == OidcRpReasons.FetchFarmPeer && r.KidsAfter!.Contains("op-key-2") && !r.KidsBefore!.Contains("op-key-2"))), OneSecond),
            "rows: " + string.Join(" | ", Rps.Select(rp => string.Join(",", rp.Audit.FetchRows.Select(r => r.Reason)))));
        output.WriteLine($"rotation over 3 instances: {Op.Count("jwks")} JWKS fetches in all (1 load + 1 rotation)");
    }

    [Fact]
    public async Task An_admin_refresh_on_one_instance_shows_the_new_kids_on_the_others_within_a_second_without_their_own_fetch()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp));
        }
        Op.Rotate("op-key-2", TestOpRotation.KeepOld);
        var before = (Op.Count("jwks"), Op.Count("discovery"));

        var result = await Rps[0].Services.GetRequiredService<IOidcProviders>().RefreshAsync("alpha", "admin", CancellationToken.None);
        Assert.Equal(OidcRefreshStatus.Refreshed, result.Status);

        Assert.True(await EventuallyAsync(() => Rps.All(rp => Kids(rp).Contains("op-key-2")), OneSecond),
            "every instance holds the new kid within 1 s: " + string.Join(" | ", Rps.Select(rp => string.Join(",", Kids(rp)))));
        Assert.Equal((before.Item1 + 1, before.Item2 + 1), (Op.Count("jwks"), Op.Count("discovery"))); // the admin's fetch only
    }

    [Fact]
    public async Task A_forged_kid_flood_spread_over_the_instances_stays_within_one_budget()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.OK, await BearerAsync(rp, Op.CreateAccessToken()));
        }
        Assert.Equal(1, Op.Count("jwks"));
        var budget = new OidcKeyPolicyOptions().BearerKidMissBudget;
        const int Flood = 45;
        for (var i = 0; i < Flood; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(Rps[i % 3], Op.CreateAccessToken(kid: $"forged-{i}")));
        }

        Assert.Equal(1 + budget, Op.Count("jwks")); // one budget for the farm, not one per instance (3 × budget)
        // The same forged kid again, anywhere: remembered farm-wide, no fetch.
        Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(Rps[2], Op.CreateAccessToken(kid: "forged-0")));
        Assert.Equal(1 + budget, Op.Count("jwks"));
        output.WriteLine($"{Flood} forged kids over 3 instances: {Op.Count("jwks") - 1} JWKS fetches (budget {budget})");
    }

    [Fact]
    public async Task A_callback_replayed_on_another_instance_is_refused_with_state_replayed_and_one_token_request_in_all()
    {
        using var browser = Rps[0].Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        var cookies = browser.Cookies.Header(new Uri(pending.Action))!;
        using (var first = await browser.FinishLoginAsync(pending))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }

        var elsewhere = new UriBuilder(pending.Action) { Port = new Uri(Rps[1].BaseUrl).Port }.Uri;
        using var raw = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, elsewhere) { Content = new FormUrlEncodedContent(pending.Fields) };
        request.Headers.Add("Cookie", cookies);
        using var replay = await raw.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(1, Op.Count("token"));
        Assert.Contains(Rps[1].Audit.Rows, r => (r.Category, r.Reason) == (OidcAuditCategories.CallbackRejected, OidcRpReasons.StateReplayed));
    }

    [Fact]
    public async Task A_tampered_snapshot_written_straight_into_Redis_is_ignored()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.OK, await BearerAsync(rp, Op.CreateAccessToken()));
        }
        await using var redis = await ConnectAsync();
        var db = redis.GetDatabase();
        var key = Prefix + "snapshot:alpha";
        var genuine = JsonNode.Parse((string)(await db.HashGetAsync(key, "doc"))!)!;

        // Whoever can write to Redis adds the OP's own public key under a new kid and bumps the version, without the MAC key:
        // if this were adopted, a token naming that kid would verify.
        var jwks = JsonNode.Parse((string)genuine["j"]!)!;
        var evil = jwks["keys"]![0]!.DeepClone();
        evil["kid"] = "evil";
        jwks["keys"]!.AsArray().Add(evil);
        genuine["j"] = jwks.ToJsonString();
        genuine["v"] = 999;
        await db.HashSetAsync(key, [new HashEntry("v", 999), new HashEntry("doc", genuine.ToJsonString())]);
        var jwksBefore = Op.Count("jwks");

        Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(Rps[1], Op.CreateAccessToken(kid: "evil")));
        Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(Rps[0], Op.CreateAccessToken(kid: "evil")));

        Assert.All(Rps, rp => Assert.DoesNotContain("evil", Kids(rp)));
        Assert.Contains(Rps[1].Logs.GetSnapshot(), l => l.Id.Id == 1602); // logged as ignored (mac_invalid)
        // The first kid miss asked the OP (which does not publish it); the second instance knew that from the farm.
        Assert.Equal(jwksBefore + 1, Op.Count("jwks"));
    }

    [Fact]
    public async Task With_Redis_stopped_logins_continue_on_cached_keys_and_sharing_resumes_when_it_is_back()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp));
        }
        await Redis.StopAsync();
        Assert.True(await EventuallyAsync(() => Rps.All(rp => !Available(rp)), TimeSpan.FromSeconds(10)));

        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp)); // replay guard and keys: local
        }
        Assert.Equal(1, Op.Count("jwks"));

        await Redis.StartAgainAsync(); // empty: nothing persisted
        Assert.True(await EventuallyAsync(() => Rps.All(Available), TimeSpan.FromSeconds(30)), "the instances reconnect");

        // Sharing resumes: a rotation costs one fetch for the farm again.
        Op.Rotate("op-key-2", TestOpRotation.DropOld);
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Found, await LoginAsync(rp));
        }
        Assert.Equal(2, Op.Count("jwks"));
        Assert.All(Rps, rp => Assert.DoesNotContain(rp.Audit.Rows, r => r.Outcome == OidcAuditOutcomes.Failure));
    }

    [Fact]
    public async Task A_kid_revoked_on_one_instance_is_refused_on_all()
    {
        var token = Op.CreateAccessToken();
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.OK, await BearerAsync(rp, token));
        }
        var revocations = Rps[0].Services.GetRequiredService<IOidcKeyRevocations>();
        Assert.Equal(OidcKeyRevocationStatus.Done, (await revocations.RevokeAsync("alpha", "op-key-1", "admin", CancellationToken.None)).Status);

        Assert.True(await EventuallyAsync(() => Rps.All(rp => rp.Services.GetRequiredService<IOidcKeyRevocations>().GetRevoked("alpha").Contains("op-key-1")), OneSecond));
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(rp, token));
        }

        Assert.Equal(OidcKeyRevocationStatus.Done, (await revocations.UnrevokeAsync("alpha", "op-key-1", "admin", CancellationToken.None)).Status);
        Assert.True(await EventuallyAsync(() => Rps.All(rp => rp.Services.GetRequiredService<IOidcKeyRevocations>().GetRevoked("alpha").Count == 0), OneSecond));
        Assert.Equal(HttpStatusCode.OK, await BearerAsync(Rps[2], token));
    }
    [Fact]
    public async Task An_older_shared_snapshot_put_back_into_Redis_never_replaces_newer_keys()
    {
        foreach (var rp in Rps)
        {
            Assert.Equal(HttpStatusCode.OK, await BearerAsync(rp, Op.CreateAccessToken()));
        }
        await using var redis = await ConnectAsync();
        var db = redis.GetDatabase();
        var key = Prefix + "snapshot:alpha";
        var old = await db.HashGetAllAsync(key); // genuine, MAC-valid, version 1: only op-key-1

        Op.Rotate("op-key-2", TestOpRotation.DropOld);
        Assert.Equal(OidcRefreshStatus.Refreshed,
            (await Rps[0].Services.GetRequiredService<IOidcProviders>().RefreshAsync("alpha", "admin", CancellationToken.None)).Status);
        Assert.True(await EventuallyAsync(() => Rps.All(rp => Kids(rp).Contains("op-key-2")), OneSecond));

        // Someone with write access puts the old entry back (a replay) and the instances look again (a kid miss reads it).
        await db.HashSetAsync(key, old);
        Assert.Equal(HttpStatusCode.Unauthorized, await BearerAsync(Rps[1], Op.CreateAccessToken(kid: "op-key-1")));

        Assert.All(Rps, rp => Assert.Equal(["op-key-2"], Kids(rp)));
        Assert.Equal(HttpStatusCode.OK, await BearerAsync(Rps[2], Op.CreateAccessToken()));
    }
}
