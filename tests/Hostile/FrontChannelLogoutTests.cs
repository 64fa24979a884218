using System.Net;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The stock remote sign-out path (<c>/signout-oidc</c>) signs a user out on a GET that names the issuer when the
/// ID token carried no <c>sid</c> (the test OP's do not): a cross-site request could end anyone's session. It is
/// routed only for a provider with <c>FrontChannelLogout</c> on, and then behaves as the stock handler.
/// </summary>
public sealed class FrontChannelLogoutTests : IAsyncLifetime
{
    private TestOp _op = null!;

    public async Task InitializeAsync() => _op = await TestOp.StartAsync();

    public async Task DisposeAsync() => await _op.DisposeAsync();

    private async Task<(RpApp Rp, BrowserClient Browser)> SignedInAsync(bool frontChannelLogout)
    {
        var rp = await RpApp.StartAsync([_op.As("alpha")], o => o.Providers["alpha"].FrontChannelLogout = frontChannelLogout);
        var browser = rp.Browser();
        using var login = await browser.LoginAsync("alpha");
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        return (rp, browser);
    }

    private static async Task<HttpStatusCode> WhoAmIAsync(BrowserClient browser)
    {
        using var response = await browser.GetAsync("/whoami");
        return response.StatusCode;
    }

    [Fact]
    public async Task Off_by_default_a_get_to_the_remote_sign_out_path_is_not_found_and_the_user_stays_signed_in()
    {
        var (rp, browser) = await SignedInAsync(frontChannelLogout: false);
        await using var _ = rp;
        using var __ = browser;

        using var signOut = await browser.GetAsync($"/signout-oidc?iss={Uri.EscapeDataString(_op.Issuer)}");

        Assert.Equal(HttpStatusCode.NotFound, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(browser));
    }

    [Fact]
    public async Task On_the_stock_handler_signs_out_only_when_the_sid_matches_the_id_tokens()
    {
        _op.IdTokenFactory = r =>
        {
            var claims = r.Claims();
            claims["sid"] = "op-session-1";
            return r.Signing.Sign(r.Header(), claims);
        };
        var (rp, browser) = await SignedInAsync(frontChannelLogout: true);
        await using var _ = rp;
        using var __ = browser;
        var iss = Uri.EscapeDataString(_op.Issuer);

        foreach (var forged in new[] { $"/signout-oidc?iss={iss}", $"/signout-oidc?iss={iss}&sid=another-session" })
        {
            using var refused = await browser.GetAsync(forged);
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode); // the stock handler answers, and does nothing
            Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(browser));
        }
        using (var signOut = await browser.GetAsync($"/signout-oidc?iss={iss}&sid=op-session-1"))
        {
            Assert.Equal(HttpStatusCode.OK, signOut.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(browser));
    }

    [Fact]
    public async Task On_for_a_provider_without_sid_any_get_signs_out_as_with_the_stock_handler()
    {
        // Why the setting is off by default: the stock handler compares only the ticket's sid and iss claims,
        // and its claim actions drop iss, so without sid nothing is compared.
        var (rp, browser) = await SignedInAsync(frontChannelLogout: true);
        await using var _ = rp;
        using var __ = browser;

        using (var forged = await browser.GetAsync("/signout-oidc?iss=https%3A%2F%2Fattacker.example"))
        {
            Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(browser));
    }
}
