using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Callback;

namespace OidcRp.Tests.Unit.Registration;

/// <summary>Provider ids and paths that would silently break sign-in or OidcRp's routes stop the application at start-up.</summary>
public sealed class StartupCheckTests
{
    private static OidcProviderOptions Provider(Action<OidcProviderOptions>? configure = null)
    {
        var provider = new OidcProviderOptions { Authority = "https://op.example", ClientId = "c" };
        configure?.Invoke(provider);
        return provider;
    }

    private static ServiceProvider Build(Action<OidcRpOptions> configure, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication("Cookies").AddCookie("Cookies").AddMultiOidc(configure);
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }

    private static string[] PathErrors(Action<OidcRpOptions> configure, Action<IServiceCollection>? more = null)
    {
        using var sp = Build(configure, more);
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<CallbackPaths>().EnsureValid());
        return [.. e.Failures];
    }

    [Fact]
    public void Provider_ids_that_collide_with_oidcrps_routes_are_refused_with_the_other_errors()
    {
        using var sp = Build(o =>
        {
            o.Providers["providers"] = Provider();
            o.Providers["Audit"] = Provider();
            o.Providers["noclient"] = Provider(p => p.ClientId = null);
        });

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OidcRpOptions>>().Value);

        Assert.Contains(e.Failures, f => f.StartsWith("OidcRp:Providers:providers: the id 'providers' is reserved", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("OidcRp:Providers:Audit: the id 'Audit' is reserved", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("noclient: ClientId is required", StringComparison.Ordinal));
        Assert.Equal(3, e.Failures.Count());
    }

    [Fact]
    public void Shared_callback_and_signed_out_paths_are_refused_ignoring_case_naming_both_providers_all_at_once()
    {
        var errors = PathErrors(o =>
        {
            o.Providers["a"] = Provider(p => p.CallbackPath = "/signin-oidc");
            o.Providers["b"] = Provider(p => p.CallbackPath = "/SignIn-OIDC");
            o.Providers["c"] = Provider(p => p.SignedOutCallbackPath = "/signout-callback-oidc");
            o.Providers["d"] = Provider(p => p.SignedOutCallbackPath = "/signout-callback-oidc");
            o.Providers["e"] = Provider(p => p.CallbackPath = "/auth/oidc/e/signout-callback");
            o.Providers["f"] = Provider(p => p.CallbackPath = "/auth/oidc/providers/a");
        });

        Assert.Contains("OidcRp providers 'a' and 'b' both use the path '/SignIn-OIDC' (a: CallbackPath; b: CallbackPath); only 'a' would ever answer it. Give each provider its own path.", errors);
        Assert.Contains(errors, e => e.StartsWith("OidcRp providers 'c' and 'd' both use the path '/signout-callback-oidc' (c: SignedOutCallbackPath; d: SignedOutCallbackPath)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OidcRp provider 'e': CallbackPath and SignedOutCallbackPath are both", StringComparison.Ordinal));
        Assert.Contains("OidcRp provider 'f': CallbackPath '/auth/oidc/providers/a' is one of OidcRp's own routes; give it another path.", errors);
        Assert.Equal(4, errors.Length);
    }

    [Fact]
    public void Paths_moved_by_application_hooks_are_checked_as_the_handler_will_match_them()
    {
        var errors = PathErrors(o =>
        {
            o.Providers["a"] = Provider();
            o.Providers["b"] = Provider(p => p.ConfigureHandler = h => h.CallbackPath = "/auth/oidc/a/callback");
            o.Providers["c"] = Provider();
            o.Providers["d"] = Provider();
        }, services => services.PostConfigure<OpenIdConnectOptions>("oidc:d", h => h.SignedOutCallbackPath = "/auth/oidc/c/signout-callback"));

        Assert.Contains("OidcRp providers 'a' and 'b' both use the path '/auth/oidc/a/callback' (a: CallbackPath; b: CallbackPath (after application hooks)); only 'a' would ever answer it. Give each provider its own path.", errors);
        Assert.Contains(errors, e => e.StartsWith("OidcRp providers 'c' and 'd' both use the path '/auth/oidc/c/signout-callback' (c: SignedOutCallbackPath; d: SignedOutCallbackPath (after application hooks))", StringComparison.Ordinal));
        Assert.Equal(2, errors.Length);
    }

    [Fact]
    public void A_hook_for_every_provider_that_gives_all_of_them_one_path_is_refused()
    {
        var errors = PathErrors(o =>
        {
            o.Providers["a"] = Provider();
            o.Providers["b"] = Provider();
            o.Providers["c"] = Provider();
            o.ConfigureHandler = (_, h) => h.CallbackPath = "/signin-oidc";
        });

        Assert.Equal(2, errors.Length);
        Assert.All(errors, e => Assert.StartsWith("OidcRp providers 'a' and ", e, StringComparison.Ordinal));
    }

    [Fact]
    public void The_remote_sign_out_path_is_routed_only_for_providers_with_front_channel_logout_and_may_be_shared()
    {
        using var sp = Build(o =>
        {
            o.Providers["a"] = Provider();
            o.Providers["b"] = Provider(p => p.FrontChannelLogout = true);
            o.Providers["c"] = Provider(p => p.FrontChannelLogout = true);
        });
        var paths = sp.GetRequiredService<CallbackPaths>();

        paths.EnsureValid();

        Assert.True(paths.TryGetSchemes(new PathString("/signout-oidc"), out var schemes));
        Assert.Equal(["oidc:b", "oidc:c"], schemes);
        Assert.True(paths.TryGetSchemes(new PathString("/auth/oidc/a/callback"), out _));
    }

    [Fact]
    public void Without_front_channel_logout_the_remote_sign_out_path_is_not_routed()
    {
        using var sp = Build(o => o.Providers["a"] = Provider());

        Assert.False(sp.GetRequiredService<CallbackPaths>().TryGetSchemes(new PathString("/signout-oidc"), out _));
    }

    [Fact]
    public void A_remote_sign_out_path_on_another_providers_callback_is_refused()
    {
        var errors = PathErrors(o =>
        {
            o.Providers["a"] = Provider(p => p.CallbackPath = "/signout-oidc");
            o.Providers["b"] = Provider(p => p.FrontChannelLogout = true);
        });

        Assert.Equal(["OidcRp provider 'b': RemoteSignOutPath '/signout-oidc' is provider 'a''s CallbackPath; give it another path."], errors);
    }

    [Fact]
    public async Task Conflicting_paths_stop_the_application_at_start_up()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication("Cookies").AddCookie("Cookies").AddMultiOidc(o =>
        {
            o.Providers["a"] = Provider(p => p.CallbackPath = "/signin-oidc");
            o.Providers["b"] = Provider(p => p.CallbackPath = "/signin-oidc");
        });
        await using var app = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("OidcRp providers 'a' and 'b' both use the path '/signin-oidc'", e.Message, StringComparison.Ordinal);
    }
}
