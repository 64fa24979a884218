using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Providers;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Providers;

public sealed class KeyRefresherTests : IDisposable
{
    private readonly RefresherHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Nothing_is_fetched_until_first_use_and_concurrent_first_uses_share_one_load()
    {
        _ = _h.Entry;
        Assert.Equal((0, 0), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var loads = Enumerable.Range(0, 20).Select(_ => _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None)).ToList();
        _h.Op.JwksGate.SetResult();
        var results = await Task.WhenAll(loads);

        Assert.All(results, r => Assert.NotNull(r.Snapshot));
        Assert.Equal((1, 1), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    [Fact]
    public async Task A_provider_that_never_loaded_retries_with_backoff()
    {
        _h.Op.DiscoveryResponse = () => new HttpResponseMessage(HttpStatusCode.BadGateway);

        var first = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);
        var immediate = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        _h.Op.DiscoveryResponse = null;
        var later = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);

        Assert.Equal((RefreshStatus.Failed, "discovery_http_502"), (first.Status, first.ErrorCode));
        Assert.Equal(RefreshStatus.Failed, immediate.Status);
        Assert.Equal(RefreshStatus.Refreshed, later.Status);
        Assert.Equal(2, _h.Op.DiscoveryRequests);
    }

    [Fact]
    public async Task Admin_refresh_is_limited_to_one_per_minimum_interval()
    {
        await _h.LoadAsync();

        var first = await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);
        _h.Time.Advance(TimeSpan.FromSeconds(2));
        var second = await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);
        _h.Time.Advance(TimeSpan.FromSeconds(3));
        var third = await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);

        Assert.Equal(RefreshStatus.Refreshed, first.Status);
        Assert.Equal(RefreshStatus.Throttled, second.Status);
        Assert.Equal(TimeSpan.FromSeconds(3), second.RetryAfter);
        Assert.Equal(RefreshStatus.Refreshed, third.Status);
        Assert.Equal((3, 3), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    [Fact]
    public async Task Refresh_that_changes_the_issuer_is_refused_and_the_last_good_data_kept()
    {
        await _h.LoadAsync();
        var before = _h.Entry.Snapshot;
        _h.Op.DiscoveryResponse = () => FakeOpHttpHandler.Json(_h.Op.DiscoveryJson().Replace("https://op.example", "https://evil.example", StringComparison.Ordinal));

        var result = await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);

        Assert.Equal((RefreshStatus.Failed, "discovery_issuer_mismatch"), (result.Status, result.ErrorCode));
        Assert.Same(before, _h.Entry.Snapshot);
        Assert.Equal("discovery_issuer_mismatch", _h.Entry.LastErrorCode);
    }

    [Fact]
    public async Task Issuer_is_pinned_on_first_load_when_only_a_metadata_address_is_configured()
    {
        _h.Options.Providers["test"].Authority = null;
        _h.Options.Providers["test"].MetadataAddress = "https://op.example/.well-known/openid-configuration";
        await _h.LoadAsync();
        _h.Op.DiscoveryResponse = () => FakeOpHttpHandler.Json(_h.Op.DiscoveryJson().Replace("\"issuer\":\"https://op.example\"", "\"issuer\":\"https://op.example/other\"", StringComparison.Ordinal));

        var result = await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);

        Assert.Equal("discovery_issuer_mismatch", result.ErrorCode);
    }

    [Fact]
    public async Task A_cancelled_caller_does_not_cancel_the_shared_fetch()
    {
        await _h.LoadAsync();
        _h.Rotate("key-2");
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var first = _h.MissAsync("key-2", impatient.Token);
        var second = _h.MissAsync("key-2");
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        _h.Op.JwksGate.SetResult();
        var joined = await second;

        Assert.Equal(OidcRp.Audit.OidcAuditCategories.KidMismatchRecovered, joined.Category);
        Assert.True(_h.Entry.Snapshot!.HasKid("key-2"));
        Assert.Equal(2, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task A_fetch_that_hangs_times_out_on_the_refreshers_clock()
    {
        await _h.LoadAsync();
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var refresh = _h.MissAsync("key-2");
        while (_h.Op.JwksRequests < 2)
        {
            await Task.Delay(5);
        }
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        var result = await refresh.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((OidcRp.Audit.OidcAuditCategories.JwksUnreachable, "jwks_timeout"), (result.Category, result.Reason));
        Assert.NotNull(_h.Entry.Snapshot);
    }

    [Fact]
    public async Task An_older_fetch_never_overwrites_a_newer_snapshot()
    {
        await _h.LoadAsync();
        var current = _h.Entry.Snapshot!;

        var swapped = _h.Entry.TrySwap(current with { Sequence = current.Sequence - 1, Fingerprint = "older" });

        Assert.False(swapped);
        Assert.Same(current, _h.Entry.Snapshot);
    }

    [Fact]
    public async Task A_loaded_provider_answers_at_once_without_a_fetch()
    {
        await _h.LoadAsync();

        var again = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);

        Assert.Equal(RefreshStatus.NotNeeded, again.Status);
        Assert.Same(_h.Entry.Snapshot, again.Snapshot);
        Assert.Equal((1, 1), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    [Fact]
    public async Task A_failed_first_load_says_when_to_retry()
    {
        _h.Op.DiscoveryResponse = () => new HttpResponseMessage(HttpStatusCode.BadGateway);
        await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);
        await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None); // second failure: 2 s backoff
        _h.Time.Advance(TimeSpan.FromMilliseconds(500));

        var waiting = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);

        Assert.Equal((RefreshStatus.Failed, "discovery_http_502"), (waiting.Status, waiting.ErrorCode));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), waiting.RetryAfter);
        Assert.Equal(2, _h.Op.DiscoveryRequests);
        Assert.Null(_h.Entry.NextRefreshAt); // nothing loaded: no scheduled refresh yet
    }

    [Fact]
    public async Task Admin_and_scheduled_refreshes_join_a_fetch_in_flight()
    {
        await _h.LoadAsync();
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var scheduled = _h.Refresher.RefreshScheduledAsync(_h.Entry, CancellationToken.None);
        var admin = _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);
        var again = _h.Refresher.RefreshScheduledAsync(_h.Entry, CancellationToken.None);
        _h.Op.JwksGate.SetResult();
        var results = await Task.WhenAll(scheduled, admin, again);

        Assert.All(results, r => Assert.Equal(RefreshStatus.Refreshed, r.Status));
        Assert.Equal((2, 2), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests)); // one shared fetch after the load
    }

    [Fact]
    public async Task A_slow_older_fetch_finishing_last_does_not_replace_the_newer_keys()
    {
        await _h.LoadAsync();
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var older = _h.Refresher.RefreshScheduledAsync(_h.Entry, CancellationToken.None);
        await WaitUntil(() => _h.Op.JwksRequests == 2);
        // A newer snapshot lands while the older fetch is still out (as another instance of the fetch would).
        var newer = _h.Entry.Snapshot! with { Sequence = _h.Entry.LastStartedSequence + 1, Fingerprint = "newer" };
        Assert.True(_h.Entry.TrySwap(newer));

        _h.Op.JwksGate.SetResult();
        await older;

        Assert.Same(newer, _h.Entry.Snapshot);
    }

    [Fact]
    public async Task A_discovery_that_hangs_times_out_as_discovery_timeout()
    {
        _h.Op.DiscoveryGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var load = _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);
        await WaitUntil(() => _h.Op.DiscoveryRequests == 1);
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        var result = await load.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((RefreshStatus.Failed, "discovery_timeout"), (result.Status, result.ErrorCode));
        _h.Op.DiscoveryGate.SetResult();
    }

    [Fact]
    public async Task Oversized_documents_and_cross_origin_redirects_are_refused()
    {
        _h.Op.JwksBody = "{\"keys\":[" + new string(' ', 300 * 1024) + "]}";
        var tooLarge = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);

        using var h = new RefresherHarness();
        h.Op.DiscoveryResponse = () => new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri("https://attacker.example/.well-known/openid-configuration") } };
        var redirected = await h.Refresher.EnsureLoadedAsync(h.Entry, CancellationToken.None);

        Assert.Equal("jwks_too_large", tooLarge.ErrorCode);
        Assert.Equal("discovery_redirect_cross_origin", redirected.ErrorCode);
    }

    [Fact]
    public async Task Same_origin_redirects_are_followed()
    {
        var redirected = false;
        _h.Op.DiscoveryResponse = () =>
        {
            if (redirected)
            {
                return FakeOpHttpHandler.Json(_h.Op.DiscoveryJson());
            }
            redirected = true;
            return new HttpResponseMessage(HttpStatusCode.MovedPermanently) { Headers = { Location = new Uri("/.well-known/openid-configuration", UriKind.Relative) } };
        };

        var result = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);

        Assert.Equal(RefreshStatus.Refreshed, result.Status);
    }

    [Fact]
    public async Task Background_refresh_runs_when_the_interval_has_passed_and_not_before()
    {
        await _h.LoadAsync();
        var background = new BackgroundKeyRefresh(_h.Registry, _h.Refresher, _h.Time, NullLogger<BackgroundKeyRefresh>.Instance);

        _h.Time.Advance(TimeSpan.FromMinutes(8));
        await background.RunDueRefreshesAsync(CancellationToken.None);
        Assert.Equal(1, _h.Op.JwksRequests);

        _h.Time.Advance(TimeSpan.FromMinutes(2));
        await background.RunDueRefreshesAsync(CancellationToken.None);
        Assert.Equal((2, 2), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    [Fact]
    public async Task The_stock_handlers_refresh_request_fetches_nothing()
    {
        await _h.LoadAsync();
        var manager = new RegistryConfigurationManager(_h.Entry, _h.Refresher, NullLogger.Instance);

        manager.RequestRefresh();
        manager.RequestRefresh();
        OpenIdConnectConfiguration configuration = await manager.GetConfigurationAsync(CancellationToken.None);

        Assert.Equal("https://op.example", configuration.Issuer);
        Assert.Single(configuration.SigningKeys);
        Assert.Equal((1, 1), (_h.Op.DiscoveryRequests, _h.Op.JwksRequests));
    }

    /// <summary>What an app's handler might throw (Polly's BrokenCircuitException, say): not an HttpRequestException.</summary>
    private sealed class CircuitOpenException() : Exception("circuit open");

    [Fact]
    public async Task Any_exception_from_a_jwks_fetch_is_a_failed_refresh_with_backoff_and_status_and_spends_the_budget()
    {
        await _h.LoadAsync();
        var old = _h.Entry.Snapshot;
        _h.Op.JwksResponse = () => throw new CircuitOpenException();

        var result = await _h.MissAsync("key-2");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        var more = new[] { await _h.MissAsync("key-2"), await _h.MissAsync("key-2"), await _h.MissAsync("key-2") };

        Assert.Equal((OidcRp.Audit.OidcAuditCategories.JwksUnreachable, "jwks_other"), (result.Category, result.Reason));
        Assert.Same(old, _h.Entry.Snapshot);
        Assert.Equal((3, "jwks_other"), (_h.Entry.ConsecutiveFailures, _h.Entry.LastErrorCode));
        Assert.Equal(_h.Time.GetUtcNow(), _h.Entry.LastFailureAt);
        Assert.Equal(_h.Entry.LastFailureAt + TimeSpan.FromSeconds(120), _h.Entry.NextRefreshAt); // 30 s doubled per failure
        // A failed fetch proves nothing about the kid: the next miss may fetch again, until the budget (3) is spent.
        Assert.Equal(["jwks_other", "jwks_other", "kid_miss_budget_spent"], more.Select(m => m.Reason));
        Assert.Equal(1 + 3, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task Any_exception_from_a_first_load_is_a_failed_load_that_backs_off()
    {
        _h.Op.DiscoveryResponse = () => throw new CircuitOpenException();

        var first = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);
        var immediate = await _h.Refresher.EnsureLoadedAsync(_h.Entry, CancellationToken.None);

        Assert.Equal((RefreshStatus.Failed, "discovery_other"), (first.Status, first.ErrorCode));
        Assert.Equal((RefreshStatus.Failed, "discovery_other"), (immediate.Status, immediate.ErrorCode));
        Assert.NotNull(immediate.RetryAfter);
        Assert.Equal(1, _h.Op.DiscoveryRequests);
    }

    [Theory]
    [InlineData(0, 30)]
    [InlineData(1, 60)]
    [InlineData(3, 240)]
    [InlineData(10, 600)]
    public void Backoff_doubles_and_is_capped(int failures, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RefreshPolicy.Backoff(TimeSpan.FromSeconds(30), failures, TimeSpan.FromMinutes(10)));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
