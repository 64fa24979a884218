using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using OidcRp.Callback;

namespace OidcRp.Tests.Unit.Callback;

public sealed class FlowCookiesTests
{
    [Theory]
    [InlineData("/auth/oidc/alpha/login", "/auth/oidc/alpha/callback", "/auth/oidc/alpha")]
    [InlineData("/auth/oidc/alpha/login", "/auth/oidc/alpha/cb/deeper", "/auth/oidc/alpha")]
    [InlineData("/auth/oidc/alpha/login", "/auth/oidc/alphabet/callback", "/auth/oidc")] // whole segments only
    [InlineData("/auth/oidc/alpha/login", "/signin-alpha", null)] // the root: stock scope, no trimming
    public void The_scope_is_the_deepest_whole_segment_path_over_login_and_callback(string login, string callback, string? expected) =>
        Assert.Equal(expected, FlowCookies.Scope(login, callback));

    [Fact]
    public void Cookies_are_written_under_the_path_base_and_the_oldest_pending_ones_go_first()
    {
        var options = new OpenIdConnectOptions { CallbackPath = "/auth/oidc/alpha/callback" };
        FlowCookies.Apply(options, "/auth/oidc/alpha");
        var context = new DefaultHttpContext();
        context.Request.PathBase = "/app";
        var names = Enumerable.Range(0, 8).Select(i => $"{options.NonceCookie.Name}n{i}").ToList();
        context.Request.Headers.Cookie = string.Join("; ", names.Select(n => n + "=N").Append(".AspNetCore.Correlation.c0=N").Append("other=1"));

        var path = options.NonceCookie.Build(context).Path;
        var deleted = FlowCookies.Trim(context, options);

        Assert.Equal("/app/auth/oidc/alpha", path);
        Assert.Equal(4, deleted); // 8 pending nonces: the 4 oldest go, 4 stay beside the new login's
        var setCookies = context.Response.Headers.SetCookie.ToArray();
        Assert.Equal(names.Take(4), setCookies.Select(c => c!.Split('=')[0]));
        Assert.All(setCookies, c => Assert.Contains("path=/app/auth/oidc/alpha", c, StringComparison.OrdinalIgnoreCase));
        Assert.All(setCookies, c => Assert.Contains("expires=Thu, 01 Jan 1970", c, StringComparison.Ordinal));
    }

    [Fact]
    public void A_callback_moved_elsewhere_by_an_application_hook_gets_the_stock_scope_back()
    {
        var options = new OpenIdConnectOptions { CallbackPath = "/auth/oidc/alpha/callback" };
        FlowCookies.Apply(options, "/auth/oidc/alpha");
        options.CallbackPath = "/signin/alpha-custom";

        Assert.Equal("/signin/alpha-custom", options.CorrelationCookie.Build(new DefaultHttpContext()).Path);
    }
}
