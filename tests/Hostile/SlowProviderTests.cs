using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// A provider that answers slowly (or never) costs its own logins a time-out, nothing more: the requests
/// wait without holding threads, and logins with another provider go on meanwhile.
/// </summary>
public sealed class SlowProviderTests : IAsyncLifetime
{
    private TestOp _slow = null!;
    private TestOp _fast = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _slow = await TestOp.StartAsync();
        _fast = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_slow.As("slow"), _fast.As("fast")], o => o.Keys.FetchTimeout = TimeSpan.FromSeconds(8)); // long beside a quick login, even on a busy machine
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _fast.DisposeAsync();
        await _slow.DisposeAsync();
    }

    [Fact]
    public async Task A_token_endpoint_that_hangs_times_out_while_another_providers_logins_go_on()
    {
        using (var warm = _rp.Browser())
        {
            await warm.BeginLoginAsync("slow"); // discovery and JWKS load while the OP is quick
        }
        _slow.Delay = TimeSpan.FromSeconds(60);
        _rp.Audit.Clear();

        var browsers = Enumerable.Range(0, 40).Select(_ => _rp.Browser()).ToList();
        var pending = await Task.WhenAll(browsers.Select(b => b.BeginLoginAsync("slow")));
        var slowLogins = browsers.Zip(pending, (b, p) => b.FinishLoginAsync(p)).ToList();
        using var other = _rp.Browser();
        using var fast = await other.LoginAsync("fast");
        var stillWaiting = slowLogins.Count(t => !t.IsCompleted);
        var slowResponses = await Task.WhenAll(slowLogins);

        Assert.Equal(HttpStatusCode.Found, fast.StatusCode);
        Assert.Equal(40, stillWaiting); // the quick provider's login finished while all forty slow ones waited
        Assert.All(slowResponses, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal(40, _rp.Audit.Rows.Count(r => (r.ProviderId, r.Category, r.Reason) == ("slow", OidcAuditCategories.CallbackRejected, "code_exchange_failed")));
        Assert.Equal(1, _slow.Count("jwks"));
        Sentinels.AssertNoneOf([.. Sentinels.Of(_slow), .. Sentinels.Of(_fast)], [.. Sentinels.Written(_rp, other, fast), .. browsers.SelectMany(b => b.Bodies)]);
        foreach (var response in slowResponses)
        {
            response.Dispose();
        }
        browsers.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task A_jwks_endpoint_that_hangs_gives_a_clear_error_page_after_the_time_out()
    {
        _slow.Delay = TimeSpan.FromSeconds(60);
        using var browser = _rp.Browser();

        var login = browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/slow/login");
        while (_slow.Count("jwks") == 0 && !login.IsCompleted)
        {
            await Task.Delay(20);
        }
        _rp.Time.Advance(TimeSpan.FromSeconds(9)); // the RP's clock (a fake one here) passes the fetch time-out
        using var response = await login;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, _slow.Count("authorize"));
        using var fast = await _rp.Browser().LoginAsync("fast");
        Assert.Equal(HttpStatusCode.Found, fast.StatusCode);
    }
}
