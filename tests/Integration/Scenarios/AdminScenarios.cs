using System.Net;
using System.Text.Json;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>The operator's forced refresh against a live OP, and who may call it.</summary>
[Collection(OpsCollection.Name)]
public sealed class AdminScenarios(OpsFixture ops)
{
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Forced_refresh_shows_the_kids_before_and_after_then_429_inside_the_interval_and_404_for_unknown_ids(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.KeepOld), "alpha");
        using var admin = s.Browser("admin");
        await Expect.SignedIn(admin.LoginAsync("alpha"));
        var kid = await s["alpha"].RotateAsync(RotationMode.KeepOld);
        var before = await s["alpha"].CountsAsync();

        using var ok = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        var afterOk = await s["alpha"].CountsAsync();
        using var throttled = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var unknown = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/gamma/refresh");
        var afterAll = await s["alpha"].CountsAsync();
        // The refreshed keys serve the next login without another fetch.
        await Expect.SignedIn(s.LoginAsync("alpha"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
        var kidsBefore = body.GetProperty("kidsBefore").EnumerateArray().Select(e => e.GetString()!).ToList();
        var kidsAfter = body.GetProperty("kidsAfter").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.DoesNotContain(kid, kidsBefore);
        Assert.Contains(kid, kidsAfter);
        Assert.Subset(kidsAfter.ToHashSet(), kidsBefore.ToHashSet()); // the old key stayed published
        Assert.True(body.GetProperty("changed").GetBoolean());
        Assert.Equal((before.Discovery + 1, before.Jwks + 1), (afterOk.Discovery, afterOk.Jwks));
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal((afterOk.Discovery, afterOk.Jwks), (afterAll.Discovery, afterAll.Jwks));
        Assert.Equal(afterAll.Jwks, (await s["alpha"].CountsAsync()).Jwks);
        var rows = s.Rows.Where(r => r.Category == OidcAuditCategories.AdminRefresh).ToList();
        Assert.Equal([(OidcAuditOutcomes.Success, (string?)null), (OidcAuditOutcomes.Failure, "throttled"), (OidcAuditOutcomes.Failure, "unknown_provider")],
            rows.Select(r => (r.Outcome, r.Reason)));
        Assert.Equal("*", rows[2].ProviderId); // an unknown id is recorded as *, never as given
        Assert.All(rows, r => Assert.Equal($"alpha:{s.Rows[0].Subject}", r.Actor));
        Assert.Equal(kidsAfter, rows[0].KidsAfter);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, s.Rows[^1].Category);
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Refresh_by_an_anonymous_caller_is_401_and_by_a_plain_user_403_each_with_a_row_and_no_fetch(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op), "alpha");
        using var anonymous = s.Browser();
        using var user = s.Browser("bob");
        await Expect.SignedIn(user.LoginAsync("alpha"));
        var before = await s["alpha"].CountsAsync();

        using var unauthenticated = await anonymous.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var forbidden = await user.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");

        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(before, await s["alpha"].CountsAsync());
        var denied = s.Rows.Where(r => r.Outcome == OidcAuditOutcomes.Denied).ToList();
        Assert.Equal(
            [(OidcAuditCategories.AdminRefresh, "anonymous"), (OidcAuditCategories.AdminRefresh, $"alpha:{s.Rows[0].Subject}")],
            denied.Select(r => (r.Category, r.Actor)));
        s.Ran();
    }
}
