using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Abandoned logins must not pile up cookies until requests fail. With the stock handler every started
/// login leaves a nonce and a correlation cookie scoped to the callback, where nothing removes them; about
/// a hundred of them make the callback's Cookie header too large and every later login fails.
/// </summary>
public sealed class FlowCookieTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("alpha"), _op.As("beta")]);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    [Fact]
    public async Task A_hundred_abandoned_logins_leave_a_bounded_number_of_cookies_and_the_next_login_succeeds()
    {
        using var browser = _rp.Browser();
        for (var i = 0; i < 100; i++)
        {
            using var challenge = await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/alpha/login");
            Assert.Equal(HttpStatusCode.Found, challenge.StatusCode);
        }

        Assert.InRange(FlowCookieCount(browser), 2, 2 * 5);
        using var login = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, Assert.Single(_rp.Audit.Rows).Category);
        Assert.Equal((1, 1), (_op.Count("token"), _op.Count("jwks")));
        Sentinels.AssertNoneOf(Sentinels.Of(_op), Sentinels.Written(_rp, browser, login));
    }

    [Fact]
    public async Task Two_logins_started_in_two_tabs_both_complete()
    {
        using var browser = _rp.Browser();
        var first = await browser.BeginLoginAsync("alpha");
        var second = await browser.BeginLoginAsync("alpha");

        using var a = await browser.FinishLoginAsync(first);
        using var b = await browser.FinishLoginAsync(second);

        Assert.Equal([HttpStatusCode.Found, HttpStatusCode.Found], [a.StatusCode, b.StatusCode]);
        Assert.Equal(2, _rp.Audit.Rows.Count(r => r.Category == OidcAuditCategories.LoginSucceeded));
        Assert.Equal(1, _op.Count("jwks"));
        Sentinels.AssertNoneOf(Sentinels.Of(_op), Sentinels.Written(_rp, browser, a, b));
    }

    [Fact]
    public async Task Flow_cookies_are_scoped_to_their_provider()
    {
        using var browser = _rp.Browser();
        using (await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/alpha/login"))
        {
        }
        using (await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/beta/login"))
        {
        }

        var alpha = browser.Cookies.Header(new Uri($"{_rp.BaseUrl}/auth/oidc/alpha/callback")) ?? "";
        var beta = browser.Cookies.Header(new Uri($"{_rp.BaseUrl}/auth/oidc/beta/callback")) ?? "";
        var home = browser.Cookies.Header(new Uri($"{_rp.BaseUrl}/")) ?? "";

        Assert.Equal(2, alpha.Split(';').Count(c => c.Contains(".AspNetCore.", StringComparison.Ordinal)));
        Assert.Equal(2, beta.Split(';').Count(c => c.Contains(".AspNetCore.", StringComparison.Ordinal)));
        Assert.DoesNotContain(".AspNetCore.", home, StringComparison.Ordinal); // never sent with the app's own requests
    }

    private static int FlowCookieCount(BrowserClient browser) =>
        browser.Cookies.Names(new Uri(browser.RpBase).GetLeftPart(UriPartial.Authority))
            .Count(n => n.StartsWith(".AspNetCore.OpenIdConnect.Nonce.", StringComparison.Ordinal) || n.StartsWith(".AspNetCore.Correlation.", StringComparison.Ordinal));
}
