using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OidcRp.Tests.Unit.Registration;

/// <summary>The admin endpoints' effective policy must ask more than "an authenticated user", unless the application opts out.</summary>
public sealed class AdminPolicyGuardTests
{
    private const string AnyUser = "would let any authenticated user in";

    private static async Task<Exception?> StartAsync(Action<RouteGroupBuilder> protect, Action<AuthorizationOptions>? authorization = null, bool allowAnyAuthenticated = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication("Cookies").AddCookie("Cookies").AddMultiOidc(o =>
        {
            o.Providers["a"] = new OidcProviderOptions { Authority = "https://op.example", ClientId = "c" };
            o.Admin.AllowAnyAuthenticatedAdmin = allowAnyAuthenticated;
        });
        builder.Services.AddAuthorization(o =>
        {
            o.AddPolicy("Authenticated", p => p.RequireAuthenticatedUser());
            o.AddPolicy("Admins", p => p.RequireRole("oidc-admin"));
            o.AddPolicy("Asserted", p => p.RequireAssertion(c => c.User.HasClaim("sub", "admin")));
            authorization?.Invoke(o);
        });
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        protect(app.MapOidcAdmin());
        try
        {
            await app.StartAsync();
            await app.StopAsync();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [Fact]
    public async Task The_stock_default_policy_is_refused_at_start_up()
    {
        var e = await StartAsync(admin => admin.RequireAuthorization());

        Assert.IsType<InvalidOperationException>(e);
        Assert.Contains(AnyUser, e.Message, StringComparison.Ordinal);
        Assert.Contains("OidcRp:Admin:AllowAnyAuthenticatedAdmin", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_policy_that_only_requires_an_authenticated_user_is_refused()
    {
        var e = await StartAsync(admin => admin.RequireAuthorization("Authenticated"));

        Assert.Contains(AnyUser, Assert.IsType<InvalidOperationException>(e).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_inline_policy_that_only_requires_an_authenticated_user_with_schemes_is_refused()
    {
        var e = await StartAsync(admin => admin.RequireAuthorization(p => p.AddAuthenticationSchemes("Cookies").RequireAuthenticatedUser()));

        Assert.Contains(AnyUser, Assert.IsType<InvalidOperationException>(e).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Role_and_assertion_policies_start()
    {
        Assert.Null(await StartAsync(admin => admin.RequireAuthorization("Admins")));
        Assert.Null(await StartAsync(admin => admin.RequireAuthorization("Asserted")));
        Assert.Null(await StartAsync(admin => admin.RequireAuthorization("Authenticated", "Admins"))); // combined: both must pass
    }

    [Fact]
    public async Task A_default_policy_the_application_made_strict_starts()
    {
        Assert.Null(await StartAsync(admin => admin.RequireAuthorization(),
            o => o.DefaultPolicy = new AuthorizationPolicyBuilder().RequireRole("oidc-admin").Build()));
    }

    [Fact]
    public async Task The_documented_opt_out_allows_any_authenticated_user()
    {
        Assert.Null(await StartAsync(admin => admin.RequireAuthorization(), allowAnyAuthenticated: true));
    }

    [Fact]
    public async Task An_unknown_policy_name_stops_the_application_at_start_up()
    {
        var e = await StartAsync(admin => admin.RequireAuthorization("Typo"));

        Assert.Contains("Typo", Assert.IsType<InvalidOperationException>(e).Message, StringComparison.Ordinal);
    }
}
