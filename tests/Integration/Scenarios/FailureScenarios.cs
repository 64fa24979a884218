using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>Kid misses that cannot be recovered: told apart from rotations in the audit trail, and never a fetch storm.</summary>
[Collection(OpsCollection.Name)]
public sealed class FailureScenarios(OpsFixture ops)
{
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task A_kid_the_op_never_publishes_fails_with_one_fetch_then_twenty_throttled_logins_fetch_nothing(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.Unpublished), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        var kid = await s["alpha"].RotateAsync(RotationMode.Unpublished);
        var before = await s["alpha"].CountsAsync();

        using var first = await s.LoginAsync("alpha");
        var afterFirst = await s["alpha"].CountsAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            using var again = await s.LoginAsync("alpha");
            statuses.Add(again.StatusCode);
        }
        var afterAll = await s["alpha"].CountsAsync();

        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.DoesNotContain(kid, await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.BadRequest, status));
        Assert.Equal(before.Jwks + 1, afterFirst.Jwks);
        Assert.Equal(afterFirst.Jwks, afterAll.Jwks);
        Assert.Equal(before.Discovery, afterAll.Discovery);
        Assert.Equal(before.Token + 21, afterAll.Token); // every code was redeemed; only the ID token was refused
        // Kid misses are flood-shaped: per source and window the first is its own row and the rest one counted row.
        await s.Rp.FlushAuditAsync();
        var rows = s.Rows.Skip(1).ToList();
        Assert.Equal(21, rows.Sum(r => r.Count));
        Assert.Equal((OidcAuditCategories.KidMismatchUnrecovered, kid, true, 1), (rows[0].Category, rows[0].Kid, rows[0].KeysRefreshed, rows[0].Count));
        Assert.All(rows.Skip(1), r => Assert.Equal((OidcAuditCategories.KidMismatchThrottled, kid, false), (r.Category, r.Kid, r.KeysRefreshed)));
        Assert.Equal(20, rows.Skip(1).Sum(r => r.Count));
        Assert.All(rows, r => Assert.Equal(OidcAuditOutcomes.Failure, r.Outcome));
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Jwks_down_during_a_kid_miss_is_jwks_unreachable_and_the_cached_key_keeps_working(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.KeepOld, RotationMode.Revert), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        await s["alpha"].SetJwksDownAsync(true);
        await s["alpha"].RotateAsync(RotationMode.KeepOld);
        var before = await s["alpha"].CountsAsync();

        using var failed = await s.LoginAsync("alpha");
        var page = await failed.Content.ReadAsStringAsync();
        await s["alpha"].RotateAsync(RotationMode.Revert); // the cached key signs again; the JWKS is still down
        using var cached = await s.LoginAsync("alpha");
        var afterAll = await s["alpha"].CountsAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Contains("jwks_unreachable", page, StringComparison.Ordinal);
        Assert.Contains("text/html", failed.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        await Expect.SignedIn(cached);
        Assert.Equal(before.Jwks + 1, afterAll.Jwks); // one attempt at the dead endpoint, none for the cached key
        Assert.Equal(
            [(OidcAuditCategories.JwksUnreachable, OidcAuditOutcomes.Failure), (OidcAuditCategories.LoginSucceeded, OidcAuditOutcomes.Success)],
            s.Rows.Skip(1).Select(r => (r.Category, r.Outcome)));
        s.Ran();
    }
}
