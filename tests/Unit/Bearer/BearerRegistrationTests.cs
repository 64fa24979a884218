using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Bearer;
using OidcRp.Providers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Unit.Bearer;

/// <summary>Registration, binding and the start-up checks of the bearer scheme; provider selection by issuer and audience.</summary>
public sealed class BearerRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication().AddMultiOidc(configuration.GetSection("OidcRp")).AddOidcRpBearer(configuration.GetSection("OidcRp:Bearer"));
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> TwoProviders(params (string Key, string Value)[] more)
    {
        var values = new Dictionary<string, string?>
        {
            ["OidcRp:Providers:kc:Authority"] = "https://kc.example/realms/acme",
            ["OidcRp:Providers:kc:ClientId"] = "web",
            ["OidcRp:Providers:kc2:Authority"] = "https://kc.example/realms/acme",
            ["OidcRp:Providers:kc2:ClientId"] = "mobile",
            ["OidcRp:Providers:meta:MetadataAddress"] = "https://meta.example/.well-known/openid-configuration",
            ["OidcRp:Providers:meta:ClientId"] = "m",
        };
        foreach (var (key, value) in more)
        {
            values[key] = value;
        }
        return values;
    }

    [Fact]
    public async Task Options_bind_from_the_section_with_per_provider_overrides()
    {
        using var sp = Build(TwoProviders(("OidcRp:Bearer:Audiences:0", "api"), ("OidcRp:Bearer:Providers:kc:TokenTypes:0", "JWT"),
            ("OidcRp:Bearer:Providers:kc:RequiredScopes:0", "orders"), ("OidcRp:Bearer:Providers:kc2:Audiences:0", "api2")));

        var options = sp.GetRequiredService<IOptionsMonitor<OidcRpBearerOptions>>().Get(OidcRpBearerDefaults.AuthenticationScheme);
        var kc = BearerSettings.For(options, options.Providers["kc"]);
        var kc2 = BearerSettings.For(options, options.Providers["kc2"]);
        Assert.Equal(["api"], kc.Audiences);
        Assert.Equal(["JWT"], kc.TokenTypes);
        Assert.Equal(["orders"], kc.RequiredScopes);
        Assert.Equal(["api2"], kc2.Audiences); // replaces, not adds to, the API's audiences
        Assert.Equal(["at+jwt"], kc2.TokenTypes);
        Assert.NotNull(await sp.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync("Bearer"));
    }

    [Fact]
    public void A_provider_without_an_audience_and_an_unknown_provider_fail_at_start_up()
    {
        using var sp = Build(TwoProviders(("OidcRp:Bearer:Providers:kc:RequiredScopes:0", "x"), ("OidcRp:Bearer:Providers:nope:Audiences:0", "api"),
            ("OidcRp:Bearer:Algorithms:0", "HS256")));

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptionsMonitor<OidcRpBearerOptions>>().Get("Bearer"));
        Assert.Contains(e.Failures, f => f.Contains("provider 'kc' has no audience", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("Providers:nope names no provider", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("'HS256' is not accepted", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_pinned_key_fails_at_start_up_without_echoing_it()
    {
        using var sp = Build(TwoProviders(("OidcRp:Bearer:Audiences:0", "api"), ("OidcRp:Bearer:Providers:kc:PinnedKeys:0", "k1:-----BEGIN PRIVATE KEY-----secret-material")));

        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptionsMonitor<OidcRpBearerOptions>>().Get("Bearer"));
        Assert.Contains(e.Failures, f => f.Contains("pinned key is not usable", StringComparison.Ordinal));
        Assert.DoesNotContain(e.Failures, f => f.Contains("secret-material", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_issuer_index_finds_by_issuer_then_audience_and_knows_nothing_else()
    {
        using var sp = Build(TwoProviders(("OidcRp:Bearer:Providers:kc:Audiences:0", "api"), ("OidcRp:Bearer:Providers:kc2:Audiences:0", "mobile-api")));
        var index = sp.GetRequiredService<BearerIssuerIndex>();

        var both = await index.FindAsync("Bearer", "https://kc.example/realms/acme", CancellationToken.None);
        Assert.Equal(["kc", "kc2"], both!.Select(c => c.Entry.Id).Order(StringComparer.Ordinal));
        Assert.Null(await index.FindAsync("Bearer", "https://kc.example/realms/other", CancellationToken.None));
        Assert.Null(await index.FindAsync("Bearer", null, CancellationToken.None));
    }

    [Fact]
    public async Task A_provider_known_only_by_its_metadata_address_is_loaded_before_an_unknown_issuer_is_refused()
    {
        using var sp = Build(TwoProviders(("OidcRp:Bearer:Audiences:0", "api"), ("OidcRp:Keys:FetchTimeout", "00:00:01")));
        var index = sp.GetRequiredService<BearerIssuerIndex>();
        var meta = sp.GetRequiredService<OidcProviderRegistry>().GetRequired("meta");

        Assert.Null(await index.FindAsync("Bearer", "https://unknown.example", CancellationToken.None));
        Assert.NotNull(meta.LastAttemptAt); // a load was tried (it fails here: no such host)
    }
}
