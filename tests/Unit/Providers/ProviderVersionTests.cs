using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using OidcRp.Providers;
using OidcRp.Providers.Sources;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>New versions of a provider: what each change keeps, and that an older version's fetch stays with it.</summary>
public sealed class ProviderVersionTests : IDisposable
{
    private readonly RefresherHarness _h = new();

    public void Dispose() => _h.Dispose();

    private OidcRpOptions Edited(Action<OidcProviderOptions> edit)
    {
        var options = new OidcRpOptions();
        var current = _h.Entry.Options;
        var copy = new OidcProviderOptions
        {
            Id = "test", Authority = current.Authority, ClientId = current.ClientId, ClientSecret = current.ClientSecret,
        };
        edit(copy);
        options.Providers["test"] = copy;
        return options;
    }

    [Theory]
    [InlineData(nameof(OidcProviderOptions.Authority), true)]
    [InlineData(nameof(OidcProviderOptions.MetadataAddress), true)]
    [InlineData(nameof(OidcProviderOptions.Issuer), true)]
    [InlineData(nameof(OidcProviderOptions.IssuerTemplate), true)]
    [InlineData(nameof(OidcProviderOptions.ClientSecret), false)]
    [InlineData(nameof(OidcProviderOptions.DisplayName), false)]
    [InlineData(nameof(OidcProviderOptions.ClientId), false)]
    [InlineData(nameof(OidcProviderOptions.ResponseMode), false)]
    [InlineData(nameof(OidcProviderOptions.CallbackPath), false)]
    public void Only_where_the_keys_come_from_drops_them(string setting, bool drops)
    {
        var before = new OidcProviderOptions { Id = "x" };
        var after = new OidcProviderOptions { Id = "x" };
        typeof(OidcProviderOptions).GetProperty(setting)!.SetValue(after, "https://changed.example/x");

        var changed = ProviderChanges.Changed(before, after);

        Assert.Equal([setting], changed);
        Assert.Equal(drops, ProviderChanges.DropsKeys(changed));
    }

    [Fact]
    public void Collections_compare_by_content_and_unchanged_settings_are_not_named()
    {
        var before = new OidcProviderOptions { Id = "x", Scopes = { "openid" }, SigningAlgorithms = { "RS256" } };
        var same = new OidcProviderOptions { Id = "x", Scopes = { "openid" }, SigningAlgorithms = { "RS256" } };
        var other = new OidcProviderOptions { Id = "x", Scopes = { "openid", "email" }, SigningAlgorithms = { "RS256" } };

        Assert.Empty(ProviderChanges.Changed(before, same));
        Assert.Equal(["Scopes"], ProviderChanges.Changed(before, other));
    }

    [Fact]
    public async Task A_secret_change_keeps_the_snapshot_and_an_algorithm_change_recomputes_its_policy_without_a_fetch()
    {
        await _h.LoadAsync();
        var loaded = _h.Entry;
        var requests = (_h.Op.DiscoveryRequests, _h.Op.JwksRequests);

        _h.Registry.ApplyConfiguration(Edited(o => { o.ClientSecret = "rotated"; o.SigningAlgorithms.Add("PS256"); }));
        var next = _h.Entry;

        Assert.NotSame(loaded, next);
        Assert.Equal(("2", "rotated"), (next.Version, next.Options.ClientSecret));
        Assert.Equal(loaded.Snapshot!.Fingerprint, next.Snapshot!.Fingerprint);
        Assert.Equal(["RS256"], loaded.Snapshot.ValidAlgorithms);
        Assert.Equal(["PS256"], next.Snapshot.ValidAlgorithms);
        Assert.Equal(requests, (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    [Fact]
    public async Task An_authority_change_drops_the_snapshot()
    {
        await _h.LoadAsync();

        _h.Registry.ApplyConfiguration(Edited(o => o.Authority = "https://elsewhere.example"));

        Assert.Null(_h.Entry.Snapshot);
        Assert.Equal("https://elsewhere.example", _h.Entry.Options.Authority);
    }

    [Fact]
    public async Task A_fetch_started_for_an_older_version_never_lands_on_the_newer()
    {
        _h.Op.DiscoveryGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var old = _h.Entry;
        var fetch = _h.Refresher.EnsureLoadedAsync(old, CancellationToken.None);

        _h.Registry.ApplyConfiguration(Edited(o => o.Authority = "https://elsewhere.example"));
        _h.Op.DiscoveryGate.SetResult();
        var result = await fetch;

        Assert.Equal(RefreshStatus.Refreshed, result.Status);
        Assert.NotNull(old.Snapshot); // it landed where it started
        Assert.Null(_h.Entry.Snapshot); // the new version never saw it
    }

    [Fact]
    public void An_invalid_change_is_refused_and_the_old_version_kept()
    {
        var old = _h.Entry;

        _h.Registry.ApplyConfiguration(Edited(o => o.ClientId = ""));

        Assert.Same(old, _h.Entry);
        Assert.Contains(old.Refused!.Errors, e => e.Contains("ClientId is required", StringComparison.Ordinal));
    }

    [Fact]
    public void A_reload_that_throws_inside_is_caught_and_the_providers_kept()
    {
        var old = _h.Entry;
        var options = new OidcRpOptions();
        options.Providers["test"] = null!; // a broken source: must not escape the reload callback

        _h.Registry.ApplyConfiguration(options);

        Assert.Same(old, _h.Entry);
    }

    [Fact]
    public void Handler_options_built_for_an_older_version_are_built_again()
    {
        var cache = new OidcRp.Callback.ProviderHandlerOptionsCache(_h.Registry);
        var builds = 0;
        OpenIdConnectOptions Build() => new() { Events = new OidcRp.Callback.OidcRpEvents(_h.Entry, null!, null!, TimeProvider.System), ClientId = $"build-{++builds}" };
        var first = cache.GetOrAdd("oidc:test", Build);

        _h.Registry.ApplyConfiguration(Edited(o => o.ClientId = "other"));
        var second = cache.GetOrAdd("oidc:test", Build);

        Assert.Equal("build-1", first.ClientId);
        Assert.Equal("build-2", second.ClientId);
        Assert.Same(second, cache.GetOrAdd("oidc:test", Build));
    }

    [Fact]
    public void After_start_up_the_whole_options_validator_never_fails_a_reload()
    {
        var validator = new OidcRpOptionsValidator();
        var good = new OidcRpOptions();
        good.Providers["a"] = new OidcProviderOptions { Id = "a", Authority = "https://a.example", ClientId = "c" };
        var bad = new OidcRpOptions();
        bad.Providers["a"] = new OidcProviderOptions { Id = "a", Authority = "nope" };

        Assert.True(validator.Validate(null, bad).Failed); // start-up: fails as before
        Assert.True(validator.Validate(null, good).Succeeded);
        Assert.True(validator.Validate(null, bad).Skipped);
    }

    [Fact]
    public void A_store_provider_keeps_the_default_paths()
    {
        var row = new OidcProviderOptions { Id = "acme", Authority = "https://a.example", ClientId = "c", CallbackPath = "/signin-acme" };

        Assert.Contains(OidcRpOptionsValidator.ValidateProvider("acme", row, fromStore: true), e => e.Contains("CallbackPath", StringComparison.Ordinal));
        row.CallbackPath = "/auth/oidc/acme/callback";
        Assert.Empty(OidcRpOptionsValidator.ValidateProvider("acme", row, fromStore: true));
    }
}
