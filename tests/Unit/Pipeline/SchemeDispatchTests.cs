using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Callback;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Unit.Pipeline;

/// <summary>
/// The authentication middleware asks one dispatcher instead of every provider's handler: requests elsewhere
/// load no provider, callbacks still reach the right provider, and scheme lookups behave as the stock provider's.
/// </summary>
public sealed class SchemeDispatchTests : IAsyncLifetime
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

    /// <summary>Whether the options cache holds the provider's handler options (probed without leaving anything behind).</summary>
    private static bool HandlerOptionsBuilt(RpApp rp, string providerId)
    {
        var cache = rp.Services.GetRequiredService<IOptionsMonitorCache<OpenIdConnectOptions>>();
        var name = OidcRpOptions.SchemeName(providerId);
        if (cache.TryAdd(name, new OpenIdConnectOptions()))
        {
            cache.TryRemove(name);
            return false;
        }
        return true;
    }

    [Fact]
    public async Task Requests_elsewhere_build_no_provider_handler_and_a_login_builds_only_its_own()
    {
        await using var rp = await RpApp.StartAsync([_alpha.As("alpha"), _beta.As("beta")]);
        using var browser = rp.Browser();

        using var elsewhere = await browser.GetAsync("/whoami");
        var builtBefore = (HandlerOptionsBuilt(rp, "alpha"), HandlerOptionsBuilt(rp, "beta"));
        using var callback = await browser.LoginAsync("beta");

        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        Assert.Equal((false, false), builtBefore);
        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal("beta", Assert.Single(rp.Audit.Rows).ProviderId);
        Assert.False(HandlerOptionsBuilt(rp, "alpha"));
        Assert.Equal((0, 1), (_alpha.Count("token"), _beta.Count("token")));
    }

    [Fact]
    public async Task A_callback_path_set_by_the_handler_hook_is_routed()
    {
        await using var rp = await RpApp.StartAsync([_alpha.As("alpha")], o => o.Providers["alpha"].ConfigureHandler = h => h.CallbackPath = "/signin/alpha-custom");
        using var browser = rp.Browser();

        var pending = await browser.BeginLoginAsync("alpha");
        using var callback = await browser.FinishLoginAsync(pending);

        Assert.EndsWith("/signin/alpha-custom", pending.Action, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal("alice", Assert.Single(rp.Audit.Rows).Subject);
    }

    [Fact]
    public async Task Scheme_lookups_list_every_provider_and_hide_the_dispatcher()
    {
        await using var rp = await RpApp.StartAsync([_alpha.As("alpha"), _beta.As("beta")]);
        var schemes = rp.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        var all = (await schemes.GetAllSchemesAsync()).Select(s => s.Name).ToList();
        var requestHandlers = (await schemes.GetRequestHandlerSchemesAsync()).Select(s => s.Name).ToList();

        Assert.Equal(["Cookies", "oidc:alpha", "oidc:beta"], all);
        Assert.Equal([CallbackDispatcher.SchemeName], requestHandlers);
        Assert.Equal(typeof(OidcRp.Callback.OidcRpHandler), (await schemes.GetSchemeAsync("oidc:beta"))!.HandlerType);
        Assert.Equal("Cookies", (await schemes.GetDefaultSignInSchemeAsync())!.Name);
        Assert.Equal("Cookies", (await schemes.GetDefaultChallengeSchemeAsync())!.Name);
    }

    [Fact]
    public async Task Without_a_default_scheme_there_is_no_automatic_default_as_with_the_stock_provider()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication().AddCookie("Cookies").AddMultiOidc(o =>
            o.Providers["alpha"] = new OidcProviderOptions { Authority = "https://op.example", ClientId = "c" });
        await using var sp = services.BuildServiceProvider();
        var schemes = sp.GetRequiredService<IAuthenticationSchemeProvider>();

        Assert.IsType<OidcRpSchemeProvider>(schemes);
        Assert.Null(await schemes.GetDefaultAuthenticateSchemeAsync());
        Assert.Null(await schemes.GetDefaultSignOutSchemeAsync());
        Assert.Equal(2, (await schemes.GetAllSchemesAsync()).Count());
    }
}
