using System.Net;
using OidcRp.Audit;
using OidcRp.Providers;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>The kid-miss rule on a fake clock: budgets, the memory of missing kids, joins and the follow-up fetch.</summary>
public sealed class KidMissRecoveryTests : IDisposable
{
    private readonly RefresherHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Rotations_in_quick_succession_are_each_recovered_with_one_fetch_and_spend_no_budget()
    {
        await _h.LoadAsync();
        var kids = new List<string>();
        for (var i = 2; i <= 6; i++)
        {
            var key = _h.Rotate($"key-{i}", dropOld: i % 2 == 0); // drop, keep, drop, keep, drop: one second apart
            var (result, record) = await _h.ValidateAsync(_h.Token(key));
            Assert.True(result.IsValid, $"rotation to key-{i}: {record.Category} {record.Reason}");
            kids.Add(record.Category);
            _h.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.All(kids, c => Assert.Equal(OidcAuditCategories.KidMismatchRecovered, c));
        Assert.Equal(1 + 5, _h.Op.JwksRequests);
        Assert.Equal(0, _h.Recovery.Spent(_h.Entry, KidMissPath.IdToken)); // each draw given back
    }

    [Fact]
    public async Task The_same_unknown_kid_is_fetched_once_per_window()
    {
        await _h.LoadAsync();

        var first = await _h.MissAsync("ghost");
        _h.Time.Advance(TimeSpan.FromSeconds(29));
        var repeat = await _h.MissAsync("ghost");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        var later = await _h.MissAsync("ghost");

        Assert.Equal((OidcAuditCategories.KidMismatchUnrecovered, "kid_not_found", true), (first.Category, first.Reason, first.Refreshed));
        Assert.Equal((OidcAuditCategories.KidMismatchThrottled, "kid_recently_looked_up", false), (repeat.Category, repeat.Reason, repeat.Refreshed));
        Assert.Equal((OidcAuditCategories.KidMismatchUnrecovered, "kid_not_found"), (later.Category, later.Reason));
        Assert.Equal(1 + 2, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task A_random_kid_flood_costs_at_most_the_budget_in_any_window()
    {
        await _h.LoadAsync();
        var fetchTimes = new List<DateTimeOffset>();
        var reasons = new Dictionary<string, int>();
        for (var i = 0; i < 200; i++)
        {
            var before = _h.Op.JwksRequests;
            var outcome = await _h.MissAsync("forged-" + i);
            if (_h.Op.JwksRequests > before)
            {
                fetchTimes.Add(_h.Time.GetUtcNow());
            }
            reasons[outcome.Reason!] = reasons.GetValueOrDefault(outcome.Reason!) + 1;
            _h.Time.Advance(TimeSpan.FromSeconds(1)); // 200 s at one token per second
        }

        // Draws at 0, 1, 2 s, then 30, 31, 32 s … 180, 181, 182 s: seven windows of three.
        Assert.Equal(21, fetchTimes.Count);
        Assert.All(fetchTimes, t => Assert.True(fetchTimes.Count(u => u > t - TimeSpan.FromSeconds(30) && u <= t) <= 3));
        Assert.Equal(new Dictionary<string, int> { ["kid_not_found"] = 21, ["kid_miss_budget_spent"] = 179 }, reasons);
    }

    [Fact]
    public async Task A_bearer_flood_never_spends_what_a_login_recovers_with()
    {
        await _h.LoadAsync();
        var bearer = new List<string?>();
        for (var i = 0; i < 10; i++)
        {
            bearer.Add((await _h.MissAsync("forged-" + i, path: KidMissPath.Bearer)).Reason);
        }
        var next = _h.Rotate("key-2");

        var (result, record) = await _h.ValidateAsync(_h.Token(next));

        Assert.Equal(3, bearer.Count(r => r == "kid_not_found"));
        Assert.Equal(7, bearer.Count(r => r == "kid_miss_budget_spent"));
        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, record.Category);
        Assert.Equal(1 + 3 + 1, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task The_memory_of_missing_kids_is_bounded_and_forgets_the_oldest()
    {
        using var h = new RefresherHarness(p => (p.KidMissBudget, p.MaxRememberedUnknownKids) = (10, 2));
        await h.LoadAsync();
        foreach (var kid in new[] { "a", "b", "c" })
        {
            await h.MissAsync(kid);
        }

        var a = await h.MissAsync("a"); // forgotten when c was remembered: fetched again
        var c = await h.MissAsync("c");

        Assert.Equal("kid_not_found", a.Reason);
        Assert.Equal("kid_recently_looked_up", c.Reason);
        Assert.Equal(1 + 4, h.Op.JwksRequests);
    }

    [Fact]
    public async Task A_token_that_joined_a_fetch_older_than_itself_gets_one_follow_up_fetch()
    {
        await _h.LoadAsync();
        var stale = TestSigningKey.Jwks(_h.Op.Published); // the key set as it was when the scheduled fetch read it
        var served = 0;
        _h.Op.JwksResponse = () => Interlocked.Increment(ref served) == 1
            ? FakeOpHttpHandler.Json(stale) : FakeOpHttpHandler.Json(TestSigningKey.Jwks(_h.Op.Published));
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduled = _h.Refresher.RefreshScheduledAsync(_h.Entry, CancellationToken.None);
        await WaitUntil(() => _h.Op.JwksRequests == 2);

        var next = _h.Rotate("key-2"); // rotated after the scheduled fetch left, before the token arrived
        var login = _h.ValidateAsync(_h.Token(next));
        _h.Op.JwksGate.SetResult();
        var (result, record) = await login;
        await scheduled;

        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, record.Category);
        Assert.Equal(1 + 2, _h.Op.JwksRequests);
    }

    [Fact]
    public async Task A_token_that_joined_a_fetch_newer_than_itself_takes_its_answer_as_final()
    {
        await _h.LoadAsync();
        var received = KeyRefresher.StartedSequence(_h.Entry);
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = _h.MissAsync("ghost-1", receivedAfter: received);
        await WaitUntil(() => _h.Op.JwksRequests == 2);

        var joined = _h.MissAsync("ghost-2", receivedAfter: received); // arrived before the fetch started
        _h.Op.JwksGate.SetResult();

        Assert.Equal("kid_not_found", (await first).Reason);
        Assert.Equal(("kid_not_found", true), ((await joined).Reason, (await joined).Refreshed));
        Assert.Equal(2, _h.Op.JwksRequests);
        Assert.Equal(1, _h.Recovery.Spent(_h.Entry, KidMissPath.IdToken));
    }

    [Fact]
    public async Task A_miss_after_an_admin_refresh_that_already_brought_the_key_costs_nothing()
    {
        await _h.LoadAsync();
        var checkedAgainst = _h.Entry.Snapshot!;
        _h.Rotate("key-2");
        await _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);
        var requests = _h.Op.JwksRequests;

        var outcome = await _h.MissAsync("key-2", failedSnapshot: checkedAgainst);

        Assert.Equal((OidcAuditCategories.KidMismatchRecovered, false), (outcome.Category, outcome.Refreshed));
        Assert.Equal(requests, _h.Op.JwksRequests);
        Assert.Equal(0, _h.Recovery.Spent(_h.Entry, KidMissPath.IdToken));
    }

    [Fact]
    public async Task A_miss_joins_an_admin_refresh_in_flight_and_draws_nothing()
    {
        await _h.LoadAsync();
        _h.Rotate("key-2");
        var received = KeyRefresher.StartedSequence(_h.Entry);
        _h.Op.JwksGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var admin = _h.Refresher.RefreshForAdminAsync(_h.Entry, CancellationToken.None);
        await WaitUntil(() => _h.Op.JwksRequests == 2);

        var miss = _h.MissAsync("key-2", receivedAfter: received);
        _h.Op.JwksGate.SetResult();
        var outcome = await miss;
        await admin;

        Assert.Equal((OidcAuditCategories.KidMismatchRecovered, true), (outcome.Category, outcome.Refreshed));
        Assert.Equal(2, _h.Op.JwksRequests);
        Assert.Equal(0, _h.Recovery.Spent(_h.Entry, KidMissPath.IdToken));
    }

    [Fact]
    public async Task A_failed_fetch_remembers_nothing_so_the_next_miss_may_recover()
    {
        await _h.LoadAsync();
        var next = _h.Rotate("key-2");
        _h.Op.JwksResponse = () => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        var (_, failed) = await _h.ValidateAsync(_h.Token(next));
        _h.Op.JwksResponse = null;

        var (result, recovered) = await _h.ValidateAsync(_h.Token(next));

        Assert.Equal((OidcAuditCategories.JwksUnreachable, "jwks_http_503"), (failed.Category, failed.Reason));
        Assert.True(result.IsValid);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, recovered.Category);
        Assert.Equal(3, _h.Op.JwksRequests);
        Assert.Equal(1, _h.Recovery.Spent(_h.Entry, KidMissPath.IdToken)); // the failed fetch's draw stays spent
    }

    [Fact]
    public async Task The_refresher_counts_each_outcome_for_the_status_view()
    {
        await _h.LoadAsync();
        _h.Rotate("key-2");

        await _h.MissAsync("key-2");   // recovered
        await _h.MissAsync("ghost");   // unrecovered
        await _h.MissAsync("ghost");   // refused: looked up moments ago
        _h.Op.JwksResponse = () => new HttpResponseMessage(HttpStatusCode.BadGateway);
        await _h.MissAsync("ghost-2"); // JWKS unreachable

        Assert.Equal(1, Interlocked.Read(ref _h.Entry.Recoveries));
        Assert.Equal(3, Interlocked.Read(ref _h.Entry.KidMissFailures));
        Assert.Equal(1 + 2, Interlocked.Read(ref _h.Entry.Refreshes)); // the load and two kid-miss fetches
        Assert.Equal(1, Interlocked.Read(ref _h.Entry.FailedRefreshes));
        Assert.Equal(1, _h.Entry.ConsecutiveFailures);
    }

    [Fact]
    public async Task A_success_after_failures_clears_the_failure_state_and_schedules_the_next_refresh()
    {
        await _h.LoadAsync();
        _h.Op.JwksResponse = () => new HttpResponseMessage(HttpStatusCode.BadGateway);
        await _h.MissAsync("ghost-1");
        _h.Op.JwksResponse = null;
        _h.Rotate("key-2");

        var outcome = await _h.MissAsync("key-2");

        Assert.True(outcome.Recovered);
        Assert.Equal((0, (string?)null, (DateTimeOffset?)null), (_h.Entry.ConsecutiveFailures, _h.Entry.LastErrorCode, _h.Entry.LastFailureAt));
        Assert.InRange(_h.Entry.NextRefreshAt!.Value, _h.Time.GetUtcNow().AddMinutes(9), _h.Time.GetUtcNow().AddMinutes(10));
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
