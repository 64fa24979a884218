using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// No token names its own provider: a genuine provider's ID token or userinfo answer that carries a claim of
/// OidcRp's reserved prefix refuses the sign-in, and every reader trusts only the claims OidcRp issued.
/// Two real providers, so "provider alpha says it is beta" is what is tried.
/// </summary>
public sealed class ReservedClaimTests : IAsyncLifetime
{
    private TestOp _alpha = null!;
    private TestOp _beta = null!;

    public async Task InitializeAsync()
    {
        _alpha = await TestOp.StartAsync();
        _beta = await TestOp.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
    }

    private Task<RpApp> StartRpAsync(bool userInfo = false, Action<OpenIdConnectOptions>? hook = null) =>
        RpApp.StartAsync([_alpha.As("alpha"), _beta.As("beta")], o => o.ConfigureHandler = (_, h) =>
        {
            h.GetClaimsFromUserInfoEndpoint = userInfo;
            hook?.Invoke(h);
        });

    private static string Sign(IdTokenRequest r, Action<Dictionary<string, object?>> claims)
    {
        var c = r.Claims();
        claims(c);
        return r.Signing.Sign(r.Header(), c);
    }

    [Theory]
    [InlineData("oidcrp_provider", "beta")]
    [InlineData("OIDCRP_Provider", "beta")]
    [InlineData("oidcrp_subject", "admin")]
    [InlineData("oidcrp_anything", "x")]
    public async Task A_genuine_id_token_carrying_a_reserved_claim_is_refused(string claim, string value)
    {
        await using var rp = await StartRpAsync();
        _alpha.IdTokenFactory = r => Sign(r, c => c[claim] = value);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal(("alpha", OidcAuditCategories.IdTokenInvalid, OidcRpReasons.ReservedClaim), (row.ProviderId, row.Category, row.Reason));
        Assert.Null(row.Subject);
        Assert.Equal(1, _alpha.Count("token"));
        Assert.Equal(0, _beta.Count("token"));
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    [Fact]
    public async Task A_userinfo_answer_carrying_a_reserved_claim_is_refused()
    {
        await using var rp = await StartRpAsync(userInfo: true);
        _alpha.UserInfoClaims["oidcrp_provider"] = "beta";
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, _alpha.Count("userinfo"));
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, OidcRpReasons.ReservedClaim), (row.Category, row.Reason));
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    [Fact]
    public async Task A_reserved_claim_made_by_a_claim_action_is_refused_at_the_last_gate()
    {
        // The userinfo answer names nothing reserved; the app's own claim action maps one of its values into
        // OidcRp's namespace. The gate before sign-in catches whatever source produced it.
        await using var rp = await StartRpAsync(userInfo: true, hook: h => h.ClaimActions.MapJsonKey("oidcrp_provider", "tenant"));
        _alpha.UserInfoClaims["tenant"] = "beta";
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, OidcRpReasons.ReservedClaim), (row.Category, row.Reason));
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    [Fact]
    public async Task A_genuine_login_reads_provider_and_actor_from_oidcrps_own_claims()
    {
        await using var rp = await StartRpAsync(userInfo: true);
        _alpha.UserInfoClaims["locale"] = "en";
        using var browser = rp.Browser();

        using (var response = await browser.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        }
        using var whoami = await browser.GetAsync("/whoami");
        var me = await whoami.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("alpha", me.GetProperty("provider").GetString());
        Assert.Equal("alpha:alice", me.GetProperty("actor").GetString());
        Assert.Equal(1, _alpha.Count("userinfo"));
        Assert.Equal((OidcAuditCategories.LoginSucceeded, "alice"), (Assert.Single(rp.Audit.Rows).Category, rp.Audit.Rows[0].Subject));
    }

    [Fact]
    public async Task A_claims_issuer_equal_to_oidcrps_is_refused_at_start_up()
    {
        // The start-up path check builds every provider's handler options, so the hook's ClaimsIssuer is seen there.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartRpAsync(hook: h => h.ClaimsIssuer = OidcRpClaimTypes.Issuer));

        Assert.Contains("reserved for the claims OidcRp issues", error.ToString(), StringComparison.Ordinal);
    }
}
