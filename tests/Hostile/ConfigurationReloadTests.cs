using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Providers from reloaded configuration (an in-memory source reloaded as a file source would be), over real HTTP:
/// added, changed, refused and removed while the app serves logins. Provider "alpha" is in code and never changes.
/// </summary>
public sealed class ConfigurationReloadTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;
    private readonly MutableConfiguration _source = new();
    private IConfigurationRoot _config = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _source.Merge(Provider("beta", _op));
        _config = new ConfigurationBuilder().Add(_source).Build();
        _rp = await RpApp.StartAsync([_op.As("alpha")], services: s =>
        {
            s.Configure<OidcRpOptions>(_config.GetSection("OidcRp"));
            s.AddHealthChecks().AddOidcRpProviders();
        });
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    private static Dictionary<string, string?> Provider(string id, TestOp op) => new()
    {
        [$"OidcRp:Providers:{id}:Authority"] = op.Issuer,
        [$"OidcRp:Providers:{id}:ClientId"] = op.ClientId,
        [$"OidcRp:Providers:{id}:ClientSecret"] = op.Secret,
        [$"OidcRp:Providers:{id}:RequireHttpsMetadata"] = "false",
    };

    // The reload callback runs (and is applied) before this returns.
    private void Set(Dictionary<string, string?> values) => _source.Merge(values);

    private IOidcProviders Providers => _rp.Services.GetRequiredService<IOidcProviders>();

    [Fact]
    public async Task A_provider_added_by_a_reload_signs_in_at_once()
    {
        Set(Provider("gamma", _op));
        using var browser = _rp.Browser();
        using var login = await browser.LoginAsync("gamma");
        using var whoami = await browser.GetAsync($"{_rp.BaseUrl}/whoami");

        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        Assert.Contains("\"provider\":\"gamma\"", await whoami.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var added = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderAdded);
        Assert.Equal(("gamma", OidcRpReasons.SourceConfiguration), (added.ProviderId, added.Reason));
    }

    [Fact]
    public async Task A_provider_with_its_own_callback_path_added_by_a_reload_answers_on_it()
    {
        var values = Provider("gamma", _op);
        values["OidcRp:Providers:gamma:CallbackPath"] = "/signin-gamma";
        Set(values);
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("gamma");
        using var callback = await browser.FinishLoginAsync(pending);

        Assert.EndsWith("/signin-gamma", pending.Action, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
    }

    [Fact]
    public async Task An_invalid_edit_is_refused_the_old_version_kept_and_visible_in_status_and_health()
    {
        using (var first = await _rp.Browser().LoginAsync("beta"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }

        Set(new() { ["OidcRp:Providers:beta:Authority"] = "ftp://nowhere", ["OidcRp:Providers:beta:Prompt"] = "sometimes" });
        var status = Providers.GetStatus("beta")!;
        var health = await _rp.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        using var login = await _rp.Browser().LoginAsync("beta");

        Assert.Equal(("1", 2), (status.Version, status.RefusedErrors.Count));
        Assert.Equal(HealthStatus.Degraded, (HealthStatus)health.Entries["oidcrp"].Data["beta"]);
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderChanged);
        Assert.Equal((OidcAuditOutcomes.Failure, OidcRpReasons.ProviderInvalid), (row.Outcome, row.Reason));
        Assert.Equal(["Authority", "Prompt"], row.Settings);
        Assert.Contains(_rp.Logs.GetSnapshot(), l => l.Id.Id == 1403);

        // Fixed: the new version goes in, and the refusal is gone from the status.
        Set(new() { ["OidcRp:Providers:beta:Authority"] = _op.Issuer, ["OidcRp:Providers:beta:Prompt"] = "login" });
        Assert.Equal(("2", null), (Providers.GetStatus("beta")!.Version, Providers.GetStatus("beta")!.RefusedVersion));
    }

    [Fact]
    public async Task A_duplicate_callback_path_or_a_reserved_id_is_refused_without_touching_the_others()
    {
        var values = Provider("gamma", _op);
        values["OidcRp:Providers:gamma:CallbackPath"] = "/auth/oidc/beta/callback";
        foreach (var (key, value) in Provider("providers", _op))
        {
            values[key] = value;
        }
        Set(values);

        using var gamma = await _rp.Browser().GetAsync($"{_rp.BaseUrl}/auth/oidc/gamma/login");
        using var beta = await _rp.Browser().LoginAsync("beta");

        Assert.Equal(HttpStatusCode.NotFound, gamma.StatusCode);
        Assert.Equal(HttpStatusCode.Found, beta.StatusCode);
        var refused = _rp.Audit.Rows.Where(r => r.Category == OidcAuditCategories.ProviderChanged).Select(r => (r.ProviderId, r.Reason)).Order().ToList();
        Assert.Equal([("gamma", OidcRpReasons.ProviderInvalid), ("providers", OidcRpReasons.ProviderInvalid)], refused);
    }

    [Fact]
    public async Task A_client_id_change_rebuilds_the_handler_options_without_a_fetch()
    {
        using (var first = await _rp.Browser().LoginAsync("beta"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var counts = (_op.Count("discovery"), _op.Count("jwks"));
        _op.AuthorizeRequests.Clear();

        Set(new() { ["OidcRp:Providers:beta:ClientId"] = "another-client", ["OidcRp:Providers:beta:Scopes:0"] = "openid" });
        using var browser = _rp.Browser();
        using var login = await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/beta/login");

        Assert.True(_op.AuthorizeRequests.IsEmpty); // PAR is off; the redirect names the new client
        Assert.Contains("client_id=another-client", login.Headers.Location!.Query, StringComparison.Ordinal);
        Assert.Contains("scope=openid&", login.Headers.Location!.Query + "&", StringComparison.Ordinal);
        Assert.Equal(counts, (_op.Count("discovery"), _op.Count("jwks")));
        var changed = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderChanged);
        Assert.Equal(["ClientId", "Scopes"], changed.Settings);
    }

    [Fact]
    public async Task A_provider_removed_by_a_reload_answers_404_and_provider_removed_mid_login()
    {
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("beta");

        _source.Remove("OidcRp:Providers:beta:");
        using var login = await _rp.Browser().GetAsync($"{_rp.BaseUrl}/auth/oidc/beta/login");
        using var callback = await browser.FinishLoginAsync(pending);
        using var alpha = await _rp.Browser().LoginAsync("alpha");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.Found), (login.StatusCode, callback.StatusCode, alpha.StatusCode));
        Assert.Contains(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.CallbackRejected && r.Reason == OidcRpReasons.ProviderRemoved && r.ProviderId == "beta");
        Assert.Contains(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderRemoved && r.ProviderId == "beta");
    }

    [Fact]
    public async Task Configuration_wins_over_the_store_for_one_id()
    {
        await using var other = await TestOp.StartAsync();
        var store = new InMemoryProviderStore();
        store.Seed(StoreProviderTests.Row(other, "beta"));
        await using var rp = await RpApp.StartAsync([_op.As("beta")], authentication: b => b.AddOidcProviderStore(store));

        using var login = await rp.Browser().LoginAsync("beta");

        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        Assert.Equal((0, 0), (store.FindByIdCalls, other.Count("discovery")));
    }
}

/// <summary>A configuration source whose keys a test adds and removes, reloading like a file source.</summary>
internal sealed class MutableConfiguration : ConfigurationProvider, IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public void Merge(Dictionary<string, string?> values)
    {
        foreach (var (key, value) in values)
        {
            Data[key] = value;
        }
        OnReload();
    }

    public void Remove(string prefix)
    {
        foreach (var key in Data.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            Data.Remove(key);
        }
        OnReload();
    }
}
