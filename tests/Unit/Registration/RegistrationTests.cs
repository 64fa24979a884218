using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Callback;
using OidcRp.Providers;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Registration;

public sealed class RegistrationTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static ServiceProvider Build(IConfiguration section, Action<OidcRpOptions>? configure = null, Action<AuthenticationBuilder>? more = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var auth = services.AddAuthentication("Cookies").AddCookie("Cookies").AddMultiOidc(section, configure);
        more?.Invoke(auth);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Providers_bind_from_configuration_with_defaults()
    {
        using var sp = Build(Config(new()
        {
            ["Providers:keycloak:DisplayName"] = "Keycloak",
            ["Providers:keycloak:Authority"] = "https://kc.example/realms/acme",
            ["Providers:keycloak:ClientId"] = "web",
            ["Providers:keycloak:ClientSecret"] = "shh",
            ["Providers:keycloak:Scopes:0"] = "profile",
            ["Providers:partner:Authority"] = "https://login.partner.example",
            ["Providers:partner:ClientId"] = "p",
            ["Keys:KidMissWindow"] = "00:01:00",
            ["Keys:KidMissBudget"] = "5",
        }));

        var options = sp.GetRequiredService<IOptions<OidcRpOptions>>().Value;
        var oidc = sp.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get("oidc:keycloak");
        var schemes = sp.GetRequiredService<IOptions<AuthenticationOptions>>().Value.Schemes.Select(s => s.Name).ToList();

        Assert.Equal((TimeSpan.FromMinutes(1), 5, 3), (options.Keys.KidMissWindow, options.Keys.KidMissBudget, options.Keys.BearerKidMissBudget));
        Assert.Equal(TimeSpan.FromSeconds(5), options.Keys.AdminRefreshMinInterval);
        Assert.Contains("oidc:keycloak", schemes);
        Assert.Contains("oidc:partner", schemes);
        Assert.Equal("/auth/oidc/keycloak/callback", oidc.CallbackPath);
        Assert.Equal(["openid", "profile"], oidc.Scope);
        Assert.Equal(OpenIdConnectResponseType.Code, oidc.ResponseType);
        Assert.True(oidc.UsePkce);
        Assert.True(oidc.RequireHttpsMetadata);
        Assert.False(oidc.RefreshOnIssuerKeyNotFound);
        Assert.IsType<RegistryConfigurationManager>(oidc.ConfigurationManager);
        Assert.IsType<RecoveringTokenHandler>(oidc.TokenHandler);
        Assert.Equal("Cookies", oidc.SignInScheme);
        Assert.NotNull(oidc.StateDataFormat);
        Assert.Equal(["openid", "profile", "email"], sp.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get("oidc:partner").Scope);
    }

    [Fact]
    public void Signing_algorithms_bind_from_configuration_and_bad_ones_fail_at_start_up()
    {
        using var sp = Build(Config(new()
        {
            ["Providers:ps:Authority"] = "https://op.example",
            ["Providers:ps:ClientId"] = "c",
            ["Providers:ps:SigningAlgorithms:0"] = "PS256",
            ["Providers:ps:SigningAlgorithms:1"] = "ES256",
            ["Providers:none:Authority"] = "https://op.example",
            ["Providers:none:ClientId"] = "c",
            ["Providers:none:SigningAlgorithms:0"] = "none",
            ["Providers:lower:Authority"] = "https://op.example",
            ["Providers:lower:ClientId"] = "c",
            ["Providers:lower:SigningAlgorithms:0"] = "rs256",
            ["Providers:hs:Authority"] = "https://op.example",
            ["Providers:hs:ClientId"] = "c",
            ["Providers:hs:ClientSecret"] = "thirty-one-bytes-is-not-enough",
            ["Providers:hs:SigningAlgorithms:0"] = "HS256",
            ["Providers:hsok:Authority"] = "https://op.example",
            ["Providers:hsok:ClientId"] = "c",
            ["Providers:hsok:ClientSecret"] = new string('s', 32),
            ["Providers:hsok:SigningAlgorithms:0"] = "HS256",
        }));

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OidcRpOptions>>().Value);

        Assert.Contains(e.Failures, f => f.Contains("none: SigningAlgorithms: 'none' is not supported", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("lower: SigningAlgorithms: 'rs256' is not supported", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("hs: SigningAlgorithms lists HS256", StringComparison.Ordinal) && f.Contains("at least 32 bytes", StringComparison.Ordinal));
        Assert.Equal(3, e.Failures.Count());
        Assert.DoesNotContain(e.Failures, f => f.Contains("thirty-one", StringComparison.Ordinal)); // never the secret
    }

    [Fact]
    public void Bad_configuration_fails_with_one_error_listing_every_problem()
    {
        using var sp = Build(Config(new()
        {
            ["Providers:good:Authority"] = "https://op.example",
            ["Providers:good:ClientId"] = "c",
            ["Providers:plain:Authority"] = "http://op.example",
            ["Providers:plain:ClientId"] = "c",
            ["Providers:relative:Authority"] = "/realms/x",
            ["Providers:relative:ClientId"] = "c",
            ["Providers:noclient:Authority"] = "https://op.example",
            ["Providers:bad id!:Authority"] = "https://op.example",
            ["Providers:bad id!:ClientId"] = "c",
            ["Keys:KidMissWindow"] = "00:00:00",
            ["Keys:KidMissBudget"] = "0",
            ["Keys:RefreshInterval"] = "-00:00:01",
        }), o => o.Providers["GOOD"] = new OidcProviderOptions { Authority = "https://op.example", ClientId = "c" });

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OidcRpOptions>>().Value);

        Assert.Contains(e.Failures, f => f.Contains("plain: Authority must use https", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("relative: Authority must be an absolute", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("noclient: ClientId is required", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("bad id!: the id must be", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("duplicate provider id", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("KidMissWindow must be positive", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("KidMissBudget and BearerKidMissBudget must be between 1 and 100", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("RefreshInterval must be positive", StringComparison.Ordinal));
        Assert.Equal(8, e.Failures.Count());
    }

    [Fact]
    public void The_replaced_kid_miss_cooldown_setting_fails_at_start_up_instead_of_being_ignored()
    {
        using var sp = Build(Config(new()
        {
            ["Providers:good:Authority"] = "https://op.example",
            ["Providers:good:ClientId"] = "c",
            ["Keys:KidMissCooldown"] = "00:00:30",
        }));

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<OidcRpOptions>>().Value);

        Assert.Contains(e.Failures, f => f.Contains("KidMissCooldown was replaced by KidMissWindow and KidMissBudget", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_configuration_stops_the_application_at_start_up()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication("Cookies").AddCookie("Cookies")
            .AddMultiOidc(o => o.Providers["x"] = new OidcProviderOptions { Authority = "https://op.example" });
        await using var app = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("ClientId is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_endpoints_without_an_authorization_policy_stop_the_application_at_start_up()
    {
        await using var op = await TestOp.StartAsync();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RpApp.StartAsync([op.As("alpha")], protectAdmin: false));

        Assert.Contains("has no authorization policy", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registering_twice_is_harmless()
    {
        var section = Config(new() { ["Providers:a:Authority"] = "https://op.example", ["Providers:a:ClientId"] = "c" });
        using var sp = Build(section, more: b => b.AddMultiOidc(section));

        var schemes = sp.GetRequiredService<IOptions<AuthenticationOptions>>().Value.Schemes.Count(s => s.Name == "oidc:a");
        var hosted = sp.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Count(h => h is BackgroundKeyRefresh);

        Assert.Equal(1, schemes);
        Assert.Equal(1, hosted);
        Assert.Equal(["openid", "profile", "email"], sp.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get("oidc:a").Scope);
    }

    [Fact]
    public void Application_hooks_customise_the_handler_without_removing_oidcrps_events()
    {
        var seen = new List<string>();
        using var sp = Build(Config(new() { ["Providers:a:Authority"] = "https://op.example", ["Providers:a:ClientId"] = "c" }), o =>
        {
            o.ConfigureHandler = (provider, handler) =>
            {
                handler.Events = new OpenIdConnectEvents { OnTicketReceived = _ => { seen.Add("replaced-events"); return Task.CompletedTask; } };
                handler.ConfigurationManager = null;
                handler.RefreshOnIssuerKeyNotFound = true;
                handler.Scope.Add("offline_access");
            };
        });

        var oidc = sp.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get("oidc:a");

        var events = Assert.IsType<OidcRpEvents>(oidc.Events);
        Assert.NotNull(events.Inner);
        Assert.IsType<RegistryConfigurationManager>(oidc.ConfigurationManager);
        Assert.False(oidc.RefreshOnIssuerKeyNotFound);
        Assert.Contains("offline_access", oidc.Scope);
    }

    [Fact]
    public async Task Health_check_is_unhealthy_before_loading_then_healthy_then_degraded_when_stale()
    {
        await using var op = await TestOp.StartAsync();
        await using var rp = await RpApp.StartAsync([op.As("alpha")],
            services: s => s.AddHealthChecks().AddOidcRpProviders());
        var health = rp.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync();
        using (var browser = rp.Browser())
        {
            await browser.LoginAsync("alpha");
        }
        var loaded = await health.CheckHealthAsync();
        op.JwksDown = true; // the background refresh the clock jump starts must not race the check back to fresh keys
        rp.Time.Advance(TimeSpan.FromMinutes(21));
        var stale = await health.CheckHealthAsync(r => r.Tags.Contains("oidcrp"));

        Assert.Equal((HealthStatus.Unhealthy, HealthStatus.Unhealthy), (before.Entries["oidcrp"].Status, (HealthStatus)before.Entries["oidcrp"].Data["alpha"]));
        Assert.Equal((HealthStatus.Healthy, HealthStatus.Healthy), (loaded.Entries["oidcrp"].Status, (HealthStatus)loaded.Entries["oidcrp"].Data["alpha"]));
        Assert.Equal((HealthStatus.Degraded, HealthStatus.Degraded), (stale.Entries["oidcrp"].Status, (HealthStatus)stale.Entries["oidcrp"].Data["alpha"]));
    }
}
