using System.Net;
using System.Text.Json;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>Several providers side by side at a real OP: each login, key set and flow stays with its provider.</summary>
[Collection(OpsCollection.Name)]
public sealed class ProviderScenarios(OpsFixture ops)
{
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Two_providers_sign_in_side_by_side_and_each_principal_carries_its_provider(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op), "alpha", "beta");
        using var first = s.Browser("alice");
        using var second = s.Browser("bob");

        await Expect.SignedIn(first.LoginAsync("alpha"));
        await Expect.SignedIn(second.LoginAsync("beta"));

        var alice = await WhoAmIAsync(first);
        var bob = await WhoAmIAsync(second);
        Assert.Equal(("alpha", s["alpha"].Authority), (alice.GetProperty("provider").GetString(), alice.GetProperty("iss").GetString()));
        Assert.Equal(("beta", s["beta"].Authority), (bob.GetProperty("provider").GetString(), bob.GetProperty("iss").GetString()));
        Assert.Equal(
            [(OidcAuditCategories.LoginSucceeded, "alpha"), (OidcAuditCategories.LoginSucceeded, "beta")],
            s.Rows.Select(r => (r.Category, r.ProviderId)));
        Assert.Equal(alice.GetProperty("sub").GetString(), s.Rows[0].Subject);
        // One discovery and one JWKS per provider, fetched at its own OP; one code redeemed at each.
        Assert.Equal(new OpCounts(1, 1, 1), await s["alpha"].CountsAsync());
        Assert.Equal(new OpCounts(1, 1, 1), await s["beta"].CountsAsync());
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Logout_ends_the_rp_session_and_the_op_session(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op), "alpha");
        using var browser = s.Browser();
        await Expect.SignedIn(browser.LoginAsync("alpha"));

        using var loggedOut = await browser.LogoutAsync("/bye");
        using var after = await browser.GetAsync("/whoami");
        await Expect.SignedIn(browser.LoginAsync("alpha"));

        Assert.Equal(HttpStatusCode.Found, loggedOut.StatusCode);
        Assert.Equal("/bye", loggedOut.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        // The OP forgot the user too: the next login asked for the password again.
        Assert.Equal(2, browser.CredentialsSubmitted);
        Assert.Equal([OidcAuditCategories.LoginSucceeded, OidcAuditCategories.LoginSucceeded], s.Rows.Select(r => r.Category));
        Assert.Equal(1, (await s["alpha"].CountsAsync()).Jwks);
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task A_rotation_at_one_provider_never_touches_the_other(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op, RotationMode.DropOld), "alpha", "beta");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        await Expect.SignedIn(s.LoginAsync("beta"));

        await s["alpha"].RotateAsync(RotationMode.DropOld);
        await Expect.SignedIn(s.LoginAsync("alpha"));
        await Expect.SignedIn(s.LoginAsync("beta"));

        Assert.Equal(2, (await s["alpha"].CountsAsync()).Jwks);
        Assert.Equal(1, (await s["beta"].CountsAsync()).Jwks);
        Assert.Equal(
            [OidcAuditCategories.LoginSucceeded, OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered, OidcAuditCategories.LoginSucceeded],
            s.Rows.Select(r => r.Category));
        Assert.Equal("alpha", s.Rows[2].ProviderId);
        s.Ran();
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Provider_a_answer_posted_to_provider_b_callback_is_rejected_before_any_code_is_redeemed(string op)
    {
        await using var s = await Scenario.StartAsync(ops.Get(op), "alpha", "beta");
        using var browser = s.Browser();
        var atAlpha = await browser.BeginLoginAsync("alpha");
        var atBeta = await browser.BeginLoginAsync("beta");

        // Alpha's code and state at beta's callback, with beta's issuer forged in: beta's state protector
        // cannot read alpha's state, so the flow's provider never comes from the request.
        var swappedFields = new Dictionary<string, string>(atAlpha.Fields);
        if (atBeta.Fields.TryGetValue("iss", out var betaIss))
        {
            swappedFields["iss"] = betaIss;
        }
        using var swapped = await browser.FinishLoginAsync(atAlpha with { Fields = swappedFields }, atBeta.Action);
        // Beta's own state with alpha's code and issuer: a mix-up, caught by the iss check (RFC 9207).
        var mixed = new Dictionary<string, string>(atBeta.Fields) { ["code"] = atAlpha.Fields["code"] };
        if (atAlpha.Fields.TryGetValue("iss", out var alphaIss))
        {
            mixed["iss"] = alphaIss;
        }
        using var mixedUp = await browser.FinishLoginAsync(atBeta with { Fields = mixed });

        Assert.Equal(HttpStatusCode.BadRequest, swapped.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, mixedUp.StatusCode);
        // An OP that sends no iss in its answer (LemonLDAP::NG 2.16, which does not advertise
        // authorization_response_iss_parameter_supported) gives the RP nothing to tell the mix-up by
        // (RFC 9207 §2.4): beta's own state leads to beta's token endpoint, which refuses alpha's code.
        var opSendsIss = atAlpha.Fields.ContainsKey("iss");
        Assert.Equal(
            [(OidcAuditCategories.CallbackRejected, "beta", "state_invalid"), (OidcAuditCategories.CallbackRejected, "beta", opSendsIss ? "iss_mismatch" : "code_exchange_failed")],
            s.Rows.Select(r => (r.Category, r.ProviderId, r.Reason)));
        Assert.Equal(new OpCounts(1, 1, 0), await s["alpha"].CountsAsync());
        Assert.Equal(new OpCounts(1, 1, opSendsIss ? 0 : 1), await s["beta"].CountsAsync());
        // Alpha's flow is untouched: its answer still signs the user in through alpha.
        await Expect.SignedIn(browser.FinishLoginAsync(atAlpha));
        s.Ran();
    }

    private static async Task<JsonElement> WhoAmIAsync(Support.BrowserClient browser)
    {
        using var response = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
