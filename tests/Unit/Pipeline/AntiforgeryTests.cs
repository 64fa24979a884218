using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Pipeline;

/// <summary>In an app that uses antiforgery (MVC does), POST sign-in and sign-out need a valid token.</summary>
public sealed class AntiforgeryTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("alpha")], services: s => s.AddAntiforgery());
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    [Fact]
    public async Task Post_logout_without_a_token_is_refused_and_the_session_stays()
    {
        using var browser = _rp.Browser();
        await browser.LoginAsync("alpha"); // GET login: links need no token

        using var logout = await browser.SendAsync(HttpMethod.Post, "/auth/oidc/logout");
        using var after = await browser.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Post_login_without_a_token_is_refused_before_the_op_is_contacted()
    {
        using var browser = _rp.Browser();

        using var login = await browser.SendAsync(HttpMethod.Post, "/auth/oidc/alpha/login", []);

        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        Assert.Equal(0, _op.Count("authorize"));
    }

    [Fact]
    public async Task Post_logout_with_a_valid_token_signs_out()
    {
        using var browser = _rp.Browser();
        await browser.LoginAsync("alpha");
        // A token pair as a page of the app renders it: the cookie half lands in the browser's jar.
        using var page = await browser.GetAsync("/antiforgery");
        var tokens = System.Text.Json.JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement;

        using var logout = await browser.SendAsync(HttpMethod.Post, "/auth/oidc/logout", new() { [tokens.GetProperty("field").GetString()!] = tokens.GetProperty("token").GetString()! });
        using var after = await browser.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.Found, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_cookie_authenticated_admin_refresh_needs_a_token_and_a_refused_one_is_audited()
    {
        using var admin = _rp.Browser();
        _op.NextSubject = "admin";
        await admin.LoginAsync("alpha");

        using var forged = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var page = await admin.GetAsync("/antiforgery");
        var tokens = System.Text.Json.JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement;
        using var genuine = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh",
            new() { [tokens.GetProperty("field").GetString()!] = tokens.GetProperty("token").GetString()! });

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
        Assert.Equal(2, _op.Count("jwks")); // the first load and the genuine refresh only
        var rows = _rp.Audit.Rows.Where(r => r.Category == Audit.OidcAuditCategories.AdminRefresh).ToList();
        Assert.Equal([(Audit.OidcAuditOutcomes.Denied, "antiforgery_invalid", "alpha:admin"), (Audit.OidcAuditOutcomes.Success, (string?)null, "alpha:admin")],
            rows.Select(r => (r.Outcome, r.Reason, r.Actor)));
    }
}
