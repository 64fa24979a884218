using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Providers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Providers from an <see cref="IOidcProviderStore"/>, over real HTTP: loaded on first use, found on the callback by
/// the shape of its path, re-read on the store's signal, removed mid-login. No provider is in configuration.
/// </summary>
public sealed class StoreProviderTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    private InMemoryProviderStore Store { get; } = new();

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        Store.Seed(Row(_op, "acme"));
        _rp = await RpApp.StartAsync([], authentication: b => b.AddOidcProviderStore(Store));
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    internal static OidcProviderOptions Row(TestOp op, string id, Action<OidcProviderOptions>? edit = null)
    {
        var options = new OidcProviderOptions { Id = id, Authority = op.Issuer, ClientId = op.ClientId, ClientSecret = op.Secret, RequireHttpsMetadata = false };
        edit?.Invoke(options);
        return options;
    }

    private IOidcProviders Providers => _rp.Services.GetRequiredService<IOidcProviders>();

    [Fact]
    public async Task A_store_provider_loads_on_first_use_and_signs_in_through_its_callback()
    {
        Assert.Equal(0, Store.FindByIdCalls); // start-up stays lazy: the store is not read

        using var browser = _rp.Browser();
        using var login = await browser.LoginAsync("acme");
        using var whoami = await browser.GetAsync($"{_rp.BaseUrl}/whoami");

        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        Assert.Contains("\"provider\":\"acme\"", await whoami.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, Store.FindByIdCalls); // the login loaded it; the callback found it cached
        var added = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderAdded);
        Assert.Equal(("acme", OidcRpReasons.SourceStore), (added.ProviderId, added.Reason));
        Assert.Equal(("store", "1"), (Providers.GetStatus("acme")!.Source, Providers.GetStatus("acme")!.Version));
    }

    [Fact]
    public async Task A_callback_arriving_first_loads_the_provider_by_its_path()
    {
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("acme");
        // Another instance, or a restart: the provider is not in memory when the OP's answer comes back.
        var registry = _rp.Services.GetRequiredService<OidcProviderRegistry>();
        var store = registry.Store!;
        Store.Remove("acme");
        await Until(() => registry.FindStored("acme") is null);
        Store.Seed(Row(_op, "acme"));
        Store.Signal(new OidcProviderStoreChange { ProviderIds = ["acme"] });
        await Until(() => store.Rereads >= 2);
        var lookups = Store.FindByIdCalls;

        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(lookups + 1, Store.FindByIdCalls);
        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
    }

    [Fact]
    public async Task Unknown_paths_and_ids_cost_no_store_query_per_request()
    {
        using var browser = _rp.Browser();
        for (var i = 0; i < 5; i++)
        {
            using var other = await browser.GetAsync($"{_rp.BaseUrl}/some/page?i={i}");
            using var notId = await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/..%2f/callback");
            using var unknown = await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/nobody/callback");
            using var unknownLogin = await browser.GetAsync($"{_rp.BaseUrl}/auth/oidc/nobody/login");
            Assert.Equal(HttpStatusCode.NotFound, unknownLogin.StatusCode);
        }

        Assert.Equal(1, Store.FindByIdCalls); // "nobody", once; remembered as absent for the window
    }

    [Fact]
    public async Task A_provider_added_to_the_store_serves_login_at_once()
    {
        using var before = await _rp.Browser().GetAsync($"{_rp.BaseUrl}/auth/oidc/newco/login");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);

        Store.Put(Row(_op, "newco"), actor: "ops@example");
        using var browser = _rp.Browser();
        using var login = await browser.LoginAsync("newco");

        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        var added = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderAdded);
        Assert.Equal("newco", added.ProviderId);
    }

    [Theory]
    [InlineData("form_post")]
    [InlineData("query")]
    public async Task A_provider_removed_mid_login_answers_provider_removed_then_404(string mode)
    {
        _op.ResponseModes = [mode];
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("acme");

        Store.Remove("acme", actor: "ops@example");
        await Until(() => Providers.GetStatus("acme") is null);
        using var login = await _rp.Browser().GetAsync($"{_rp.BaseUrl}/auth/oidc/acme/login");
        using var callback = await browser.FinishLoginAsync(pending);
        var tokenCalls = _op.Count("token");

        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        Assert.Contains("callback_rejected", await callback.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var rejected = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.CallbackRejected);
        Assert.Equal(("acme", OidcRpReasons.ProviderRemoved), (rejected.ProviderId, rejected.Reason));
        var removed = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderRemoved);
        Assert.Equal((OidcRpReasons.SourceStore, "ops@example"), (removed.Reason, removed.Actor));
        Assert.Equal(0, tokenCalls); // the code was never redeemed

        // Past the correlation cookie's lifetime (RemoteAuthenticationTimeout, 15 minutes): an unknown path again.
        _rp.Time.Advance(TimeSpan.FromMinutes(16));
        using var late = await browser.FinishLoginAsync(pending);
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
    }

    [Fact]
    public async Task A_secret_rotation_keeps_keys_and_the_next_login_uses_the_new_secret()
    {
        using (var first = await _rp.Browser().LoginAsync("acme"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var (discovery, jwks) = (_op.Count("discovery"), _op.Count("jwks"));

        _op.Secret = "rotated-secret-value";
        var version = Store.Put(Row(_op, "acme", o => o.DisplayName = "Acme Corp"));
        await Until(() => Providers.GetStatus("acme")?.Version == version);
        using var second = await _rp.Browser().LoginAsync("acme");

        Assert.Equal(HttpStatusCode.Found, second.StatusCode);
        Assert.Equal((discovery, jwks), (_op.Count("discovery"), _op.Count("jwks"))); // keys and metadata kept
        var changed = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderChanged);
        Assert.Equal(["ClientSecret", "DisplayName"], changed.Settings);
        Assert.DoesNotContain(_rp.Audit.Rows, r => r.ToString().Contains("rotated-secret-value", StringComparison.Ordinal));
        Assert.DoesNotContain(_rp.Logs.GetSnapshot(), l => l.Message.Contains("rotated-secret-value", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_authority_change_drops_keys_and_metadata_and_loads_the_new_provider()
    {
        await using var other = await TestOp.StartAsync();
        using (var first = await _rp.Browser().LoginAsync("acme"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var oldCounts = (_op.Count("discovery"), _op.Count("jwks"));

        var version = Store.Put(Row(other, "acme"));
        await Until(() => Providers.GetStatus("acme")?.Version == version);
        Assert.False(Providers.GetStatus("acme")!.Loaded);
        using var browser = _rp.Browser();
        using var login = await browser.LoginAsync("acme");

        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        Assert.Equal(oldCounts, (_op.Count("discovery"), _op.Count("jwks")));
        Assert.Equal((1, 1, 1), (other.Count("discovery"), other.Count("jwks"), other.Count("token")));
    }

    [Fact]
    public async Task An_algorithm_change_recomputes_the_policy_without_a_fetch()
    {
        using (var first = await _rp.Browser().LoginAsync("acme"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var counts = (_op.Count("discovery"), _op.Count("jwks"));

        var version = Store.Put(Row(_op, "acme", o => o.SigningAlgorithms.Add("ES256")));
        await Until(() => Providers.GetStatus("acme")?.Version == version);
        using var login = await _rp.Browser().LoginAsync("acme"); // the OP signs RS256, no longer allowed

        Assert.Equal(HttpStatusCode.BadRequest, login.StatusCode);
        Assert.Equal(counts, (_op.Count("discovery"), _op.Count("jwks")));
        var refused = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.IdTokenInvalid);
        Assert.Equal(OidcRpReasons.AlgNotAllowed, refused.Reason);
    }

    [Fact]
    public async Task An_invalid_row_is_refused_and_the_old_version_keeps_signing_in()
    {
        using (var first = await _rp.Browser().LoginAsync("acme"))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var registry = _rp.Services.GetRequiredService<OidcProviderRegistry>();
        var rereads = registry.Store!.Rereads;

        Store.Put(Row(_op, "acme", o => { o.Authority = "not a url"; o.CallbackPath = "/elsewhere"; }));
        await Until(() => registry.Store.Rereads > rereads);
        var status = Providers.GetStatus("acme")!;
        using var login = await _rp.Browser().LoginAsync("acme");

        Assert.Equal(("1", "2"), (status.Version, status.RefusedVersion));
        Assert.Equal(2, status.RefusedErrors.Count);
        Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderChanged);
        Assert.Equal((OidcAuditOutcomes.Failure, OidcRpReasons.ProviderInvalid), (row.Outcome, row.Reason));
    }

    [Fact]
    public async Task A_failing_store_is_an_unknown_provider_for_that_request_not_an_error()
    {
        Store.Failure = new InvalidOperationException("database down");
        using var login = await _rp.Browser().GetAsync($"{_rp.BaseUrl}/auth/oidc/acme/login");
        Store.Failure = null;
        using var retry = await _rp.Browser().LoginAsync("acme");

        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
        Assert.Equal(HttpStatusCode.Found, retry.StatusCode); // a failure is not remembered as absent
    }

    internal static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
