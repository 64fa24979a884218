using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// RFC 9207 <c>iss</c> is checked even when the callback reaches an instance that never loaded the provider:
/// the login starts at one relying party, which is then replaced by a fresh one on the same address with the
/// same Data Protection keys (a restart between challenge and callback, or another instance of a farm).
/// </summary>
public sealed class IssuerBeforeLoadTests : IAsyncLifetime, IDisposable
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("oidcrp-dp-");
    private readonly int _port = RpApp.FreePort();
    private TestOp _op = null!;

    public async Task InitializeAsync() => _op = await TestOp.StartAsync();

    public async Task DisposeAsync() => await _op.DisposeAsync();

    public void Dispose() => _keys.Delete(recursive: true);

    private Task<RpApp> StartRpAsync() => RpApp.StartAsync([_op.As("alpha")], port: _port,
        services: s => s.AddDataProtection().SetApplicationName("oidcrp-restart").PersistKeysToFileSystem(_keys));

    /// <summary>Begins a login at one instance, stops it, and starts a fresh instance that has loaded nothing.</summary>
    private async Task<(RpApp Fresh, BrowserClient Browser, PendingCallback Pending)> RestartBetweenChallengeAndCallbackAsync()
    {
        BrowserClient browser;
        PendingCallback pending;
        await using (var first = await StartRpAsync())
        {
            browser = first.Browser();
            pending = await browser.BeginLoginAsync("alpha");
        }
        var fresh = await StartRpAsync();
        Assert.Equal(1, _op.Count("discovery")); // the fresh instance has not loaded the provider yet
        return (fresh, browser, pending);
    }

    [Fact]
    public async Task A_wrong_iss_at_an_instance_that_never_loaded_the_provider_is_refused_before_the_token_endpoint()
    {
        _op.ResponseIss = "https://attacker.example";
        var (rp, browser, pending) = await RestartBetweenChallengeAndCallbackAsync();
        await using var _ = rp;
        using var __ = browser;

        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "iss_mismatch"), (row.Category, row.Reason));
        Assert.Equal(0, _op.Count("token"));
        Assert.Equal(2, _op.Count("discovery")); // loaded once, by the check
    }

    [Fact]
    public async Task A_missing_iss_from_a_provider_that_advertises_it_is_refused_at_an_instance_that_never_loaded_it()
    {
        _op.AdvertiseIssParameter = true;
        var (rp, browser, pending) = await RestartBetweenChallengeAndCallbackAsync();
        await using var _ = rp;
        using var __ = browser;
        pending.Fields.Remove("iss");

        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "iss_missing"), (rp.Audit.Rows[^1].Category, rp.Audit.Rows[^1].Reason));
        Assert.Equal(0, _op.Count("token"));
    }

    [Fact]
    public async Task The_right_iss_at_an_instance_that_never_loaded_the_provider_signs_in()
    {
        _op.AdvertiseIssParameter = true;
        var (rp, browser, pending) = await RestartBetweenChallengeAndCallbackAsync();
        await using var _ = rp;
        using var __ = browser;
        Assert.Equal(_op.Issuer, pending.Fields["iss"]);

        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal("/whoami", callback.Headers.Location!.ToString());
        Assert.Equal(OidcAuditCategories.LoginSucceeded, Assert.Single(rp.Audit.Rows).Category);
        Assert.Equal(1, _op.Count("token"));
        Assert.Equal(2, _op.Count("discovery"));
    }

    [Fact]
    public async Task A_callback_at_an_instance_that_cannot_load_the_provider_is_refused_before_the_token_endpoint()
    {
        var (rp, browser, pending) = await RestartBetweenChallengeAndCallbackAsync();
        await using var _ = rp;
        using var __ = browser;
        _op.JwksDown = true;

        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "metadata_unavailable"), (rp.Audit.Rows[^1].Category, rp.Audit.Rows[^1].Reason));
        Assert.Equal(0, _op.Count("token"));
    }
}
