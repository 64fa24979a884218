using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>An authorization response is good for one callback: replays and double submits never reach the token endpoint.</summary>
public sealed class CallbackReplayTests : OneProviderTest
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
}
