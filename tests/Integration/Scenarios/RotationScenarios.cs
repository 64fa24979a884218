using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>Key rotations at a real OP: the first login after each is recovered with one JWKS fetch, counted at the OP.</summary>
[Collection(OpsCollection.Name)]
public sealed class RotationScenarios(OpsFixture ops)
{
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Rotation_keeping_the_old_key_is_recovered_on_the_first_login(string op) =>
        await RecoveredAfter(op, RotationMode.KeepOld);

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Rotation_dropping_the_old_key_is_recovered_on_the_first_login(string op) =>
        await RecoveredAfter(op, RotationMode.DropOld);

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Staged_then_promoted_key_is_recovered_on_the_first_login_it_signs(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.Stage, RotationMode.Promote), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        await s["alpha"].RotateAsync(RotationMode.Stage);
        await Expect.SignedIn(s.LoginAsync("alpha")); // still signed with the old key: nothing to recover
        var jwksBefore = (await s["alpha"].CountsAsync()).Jwks;

        var kid = await s["alpha"].RotateAsync(RotationMode.Promote);
        using var response = await s.LoginAsync("alpha");

        await Expect.SignedIn(response);
        Assert.Equal(jwksBefore + 1, (await s["alpha"].CountsAsync()).Jwks);
        Assert.Equal([OidcAuditCategories.LoginSucceeded, OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered],
            s.Rows.Select(r => r.Category));
        Assert.Equal(kid, s.Rows[^1].Kid);
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Two_rotations_a_minute_apart_are_both_recovered(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.KeepOld), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));

        await s["alpha"].RotateAsync(RotationMode.KeepOld);
        await Expect.SignedIn(s.LoginAsync("alpha"));
        s.Rp.Time.Advance(TimeSpan.FromMinutes(1));
        await s["alpha"].RotateAsync(RotationMode.KeepOld);
        await Expect.SignedIn(s.LoginAsync("alpha"));

        Assert.Equal(2, s.Rows.Count(r => r.Category == OidcAuditCategories.KidMismatchRecovered));
        Assert.Equal(3, (await s["alpha"].CountsAsync()).Jwks);
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Login_started_before_a_rotation_and_finished_after_it_is_recovered_in_that_callback(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.DropOld), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        using var browser = s.Browser();
        var pending = await browser.BeginLoginAsync("alpha");

        await s["alpha"].RotateAsync(RotationMode.DropOld);
        using var response = await browser.FinishLoginAsync(pending);

        await Expect.SignedIn(response);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, s.Rows[^1].Category);
        Assert.Equal(2, (await s["alpha"].CountsAsync()).Jwks);
        s.Ran();
    }

    private async Task RecoveredAfter(string op, RotationMode mode, [System.Runtime.CompilerServices.CallerMemberName] string scenario = "")
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, mode), "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        var before = await s["alpha"].CountsAsync();

        var kid = await s["alpha"].RotateAsync(mode);
        using var response = await s.LoginAsync("alpha");

        await Expect.SignedIn(response);
        var after = await s["alpha"].CountsAsync();
        Assert.Equal(before.Jwks + 1, after.Jwks);
        Assert.Equal(before.Discovery, after.Discovery);
        var row = s.Rows[^1];
        Assert.Equal((OidcAuditCategories.KidMismatchRecovered, OidcAuditOutcomes.Success, kid, true), (row.Category, row.Outcome, row.Kid, row.KeysRefreshed));
        Assert.Single(s.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered);
        s.Ran(scenario);
    }
}
