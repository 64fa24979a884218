using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OidcRp.Providers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The health check covers the providers in place at each check, not those of start-up: a provider a configuration
/// reload or the provider store adds at run time shows in the report, and a removed one disappears from it.
/// Provider "alpha" is in code and never changes.
/// </summary>
public sealed class RunTimeProviderHealthTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;
    private readonly MutableConfiguration _source = new();
    private readonly InMemoryProviderStore _store = new();

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        var config = new ConfigurationBuilder().Add(_source).Build();
        _store.Seed(StoreProviderTests.Row(_op, "acme"));
        _rp = await RpApp.StartAsync([_op.As("alpha")], services: s =>
        {
            s.Configure<OidcRpOptions>(config.GetSection("OidcRp"));
            s.AddHealthChecks().AddOidcRpProviders();
        }, authentication: b => b.AddOidcProviderStore(_store));
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    private async Task<HealthReportEntry> CheckAsync() =>
        (await _rp.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries[OidcRpHealthChecksBuilderExtensions.CheckName];

    [Fact]
    public async Task A_provider_added_by_a_reload_is_checked_and_disappears_when_removed()
    {
        var before = await CheckAsync();
        _source.Merge(new()
        {
            ["OidcRp:Providers:gamma:Authority"] = _op.Issuer,
            ["OidcRp:Providers:gamma:ClientId"] = _op.ClientId,
            ["OidcRp:Providers:gamma:ClientSecret"] = _op.Secret,
            ["OidcRp:Providers:gamma:RequireHttpsMetadata"] = "false",
        });
        var added = await CheckAsync();
        using (var login = await _rp.Browser().LoginAsync("gamma"))
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }
        var loaded = await CheckAsync();
        _source.Remove("OidcRp:Providers:gamma:");
        var removed = await CheckAsync();

        Assert.Equal(["alpha"], before.Data.Keys);
        Assert.Equal(HealthStatus.Unhealthy, (HealthStatus)added.Data["gamma"]); // in place, keys not loaded yet
        Assert.Equal(HealthStatus.Healthy, (HealthStatus)loaded.Data["gamma"]);
        Assert.Equal(["alpha"], removed.Data.Keys);
    }

    [Fact]
    public async Task A_store_provider_is_checked_once_loaded_and_disappears_when_the_store_drops_it()
    {
        var before = await CheckAsync();
        using (var login = await _rp.Browser().LoginAsync("acme"))
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }
        using (var alpha = await _rp.Browser().LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, alpha.StatusCode);
        }
        var loaded = await CheckAsync();
        var registry = _rp.Services.GetRequiredService<OidcProviderRegistry>();
        _store.Remove("acme");
        await StoreProviderTests.Until(() => registry.FindStored("acme") is null);
        var removed = await CheckAsync();

        Assert.DoesNotContain("acme", before.Data.Keys); // a store row is not in place before its first use
        Assert.Equal((HealthStatus.Healthy, HealthStatus.Healthy), ((HealthStatus)loaded.Data["acme"], loaded.Status));
        Assert.Equal(["alpha"], removed.Data.Keys);
        Assert.Equal(HealthStatus.Healthy, removed.Status);
    }
}
