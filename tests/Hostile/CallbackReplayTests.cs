using System.Net;
using OidcRp.Audit;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Tests.Support;
using Xunit.Abstractions;

namespace OidcRp.Tests.Hostile;

/// <summary>An authorization response is good for one callback: replays and double submits never reach the token endpoint.</summary>
public sealed class CallbackReplayTests(ITestOutputHelper output) : OneProviderTest
{
    [Fact]
    public async Task A_double_submitted_callback_redeems_its_code_once()
    {
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");

        var both = await Task.WhenAll(browser.FinishLoginAsync(pending), browser.FinishLoginAsync(pending));

        Assert.Equal([HttpStatusCode.Found, HttpStatusCode.BadRequest], both.Select(r => r.StatusCode).Order());
        Assert.Equal(1, Op.Count("token"));
        Assert.Equal([(OidcAuditCategories.CallbackRejected, "state_replayed"), (OidcAuditCategories.LoginSucceeded, (string?)null)],
            Rp.Audit.Rows.Select(r => (r.Category, r.Reason)).Order());
        foreach (var response in both)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_callback_replayed_with_the_original_cookies_is_refused_before_the_token_endpoint()
    {
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        var cookies = browser.Cookies.Header(new Uri(pending.Action)); // what an attacker copying the request would hold
        using (var first = await browser.FinishLoginAsync(pending))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }

        using var raw = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, pending.Action) { Content = new FormUrlEncodedContent(pending.Fields) };
        request.Headers.Add("Cookie", cookies!);
        using var replay = await raw.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(1, Op.Count("token"));
        Assert.Equal((OidcAuditCategories.CallbackRejected, "state_replayed"), (Rp.Audit.Rows[^1].Category, Rp.Audit.Rows[^1].Reason));
        var body = await replay.Content.ReadAsStringAsync();
        Assert.DoesNotContain(pending.Fields["code"], body, StringComparison.Ordinal);
        Assert.DoesNotContain(pending.Fields["state"], body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replaying_one_flow_does_not_block_the_next_login()
    {
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        using (var first = await browser.FinishLoginAsync(pending))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }

        using var again = Rp.Browser();
        using var second = await again.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, second.StatusCode);
        Assert.Equal(2, Op.Count("token"));
    }

    [Fact]
    public async Task A_flood_of_codes_under_one_state_redeems_one_and_remembers_one_flow()
    {
        // One genuine flow, then the same state and correlation cookie sent again with 300 made-up codes: the
        // guard is keyed by the flow, so each is state_replayed before the token endpoint, and memory holds one entry.
        const int Flood = 300;
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        var cookies = browser.Cookies.Header(new Uri(pending.Action))!;
        using (var first = await browser.FinishLoginAsync(pending))
        {
            Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        }
        var guard = Rp.Services.GetRequiredService<OidcRp.Callback.CallbackReplayGuard>();
        var before = guard.Count;

        using var raw = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        var statuses = new List<HttpStatusCode>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Flood; i++)
        {
            var fields = new Dictionary<string, string>(pending.Fields) { ["code"] = "forged-code-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            using var request = new HttpRequestMessage(HttpMethod.Post, pending.Action) { Content = new FormUrlEncodedContent(fields) };
            request.Headers.Add("Cookie", cookies);
            using var response = await raw.SendAsync(request);
            statuses.Add(response.StatusCode);
        }
        clock.Stop();
        await Rp.FlushAuditAsync(); // replays are flood-shaped: the first is its own row, the rest one counted row

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.Equal(1, Op.Count("token"));
        Assert.Equal(before, guard.Count);
        Assert.Equal(1, before);
        var failures = Rp.Audit.Rows.Where(r => r.Outcome == OidcAuditOutcomes.Failure).ToList();
        Assert.All(failures, r => Assert.Equal((OidcAuditCategories.CallbackRejected, OidcRpReasons.StateReplayed), (r.Category, r.Reason)));
        Assert.Equal(Flood, failures.Sum(r => r.Count));
        Assert.InRange(failures.Count, 1, 2);
        output.WriteLine($"{Flood} replays of one state: {clock.Elapsed.TotalMilliseconds / Flood:F2} ms per callback, "
            + $"{Op.Count("token")} token request(s), guard entries {guard.Count}, audit rows {failures.Count}");
    }
}
