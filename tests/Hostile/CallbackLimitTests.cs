using System.Net;
using System.Text;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Authorization responses and token responses shaped to exhaust the callback: oversized, repeated or
/// too many parameters, huge or deeply nested token responses, OP error text. Each fails with a generic
/// page and its own reason, redeems no code when the response itself is bad, fetches no JWKS beyond the
/// first load, and echoes nothing.
/// </summary>
public sealed class CallbackLimitTests : OneProviderTest
{
    private static readonly HttpClient Raw = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });

    private static string Form(Dictionary<string, string> fields, string extra = "") =>
        string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}")) + extra;

    private static readonly string Kb20 = new('x', 20 * 1024);

    private static readonly Dictionary<string, Func<Dictionary<string, string>, HttpContent>> Responses = new()
    {
        ["state repeated"] = f => Text(Form(f, "&state=" + Uri.EscapeDataString(f["state"]))),
        ["code repeated with another code"] = f => Text(Form(f, "&code=another-code-value")),
        ["iss repeated"] = f => Text(Form(f, "&iss=https%3A%2F%2Fop.example&iss=https%3A%2F%2Fevil.example")),
        ["40 parameters"] = f => Text(Form(f, string.Concat(Enumerable.Range(0, 40).Select(i => $"&p{i}=v")))),
        ["a value of 20 KB"] = f => Text(Form(f, "&junk=" + Kb20)),
        ["a state of 20 KB"] = f => Text(Form(new(f) { ["state"] = Kb20 })),
        ["a parameter name of 100 characters"] = f => Text(Form(f, "&" + new string('n', 100) + "=v")),
        ["a declared body of 100 KB"] = f => Text(Form(f, "&junk=" + new string('x', 100 * 1024))),
        ["a chunked body of 200 KB in small values"] = f => Chunked(Form(f, string.Concat(Enumerable.Range(0, 20).Select(i => $"&p{i}=" + new string('x', 10 * 1024))))),
    };

    public static TheoryData<string> ResponseNames => new(Responses.Keys);

    [Theory]
    [MemberData(nameof(ResponseNames))]
    public async Task An_oversized_or_repeated_authorization_response_is_refused_before_the_code_is_redeemed(string name)
    {
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");

        using var response = await PostAsync(browser, pending.Action, Responses[name](pending.Fields));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Sign-in failed", body, StringComparison.Ordinal);
        var row = Assert.Single(Rp.Audit.Rows);
        var expected = name.Contains("repeated", StringComparison.Ordinal) ? "parameter_repeated" : "response_too_large";
        Assert.Equal((OidcAuditCategories.CallbackRejected, expected, OidcAuditOutcomes.Failure), (row.Category, row.Reason, row.Outcome));
        Assert.Equal(0, Op.Count("token"));
        Assert.Equal(1, Op.Count("jwks"));
        Sentinels.AssertNoneOf(Sentinels.Of(Op), [.. Sentinels.Written(Rp, browser, response), body]);
    }

    [Fact]
    public async Task An_answer_in_the_url_when_form_post_was_asked_is_refused_before_the_code_is_redeemed()
    {
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");

        using var response = await browser.GetAsync(pending.Action + "?" + Form(pending.Fields));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "response_mode_mismatch"), (Rp.Audit.Rows[0].Category, Rp.Audit.Rows[0].Reason));
        Assert.Equal(0, Op.Count("token"));
        Sentinels.AssertNoneOf(Sentinels.Of(Op), [.. Sentinels.OwnLogs(Rp).Select(r => r.Message), .. browser.Bodies]);
    }

    private static readonly Dictionary<string, (Func<string, string> Body, string Category, string Reason)> TokenResponses = new()
    {
        ["token response of 1 MB"] = (b => b[..^1] + ",\"pad\":\"" + new string('x', 1024 * 1024) + "\"}", OidcAuditCategories.CallbackRejected, "code_exchange_failed"),
        ["token response nested 200 deep"] = (b => b[..^1] + ",\"deep\":" + new string('[', 200) + new string(']', 200) + "}", OidcAuditCategories.CallbackRejected, "code_exchange_failed"),
        ["token response not JSON"] = (_ => "<html>op-token-body-sentinel</html>", OidcAuditCategories.CallbackRejected, "code_exchange_failed"),
        ["token response without an ID token"] = (_ => "{\"access_token\":\"op-access-token-sentinel\",\"token_type\":\"Bearer\"}", OidcAuditCategories.CallbackRejected, "id_token_missing"),
        ["token response with an ID token that is a number"] = (b => "{\"access_token\":\"op-access-token-sentinel\",\"token_type\":\"Bearer\",\"id_token\":42}", OidcAuditCategories.IdTokenInvalid, "malformed"),
    };

    public static TheoryData<string> TokenResponseNames => new(TokenResponses.Keys);

    [Theory]
    [MemberData(nameof(TokenResponseNames))]
    public async Task A_hostile_token_response_fails_the_login_without_echo(string name)
    {
        var hostile = TokenResponses[name];
        Op.TokenResponseBody = hostile.Body;
        using var browser = Rp.Browser();

        using var response = await browser.LoginAsync("alpha");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Sign-in failed", body, StringComparison.Ordinal);
        var row = Assert.Single(Rp.Audit.Rows);
        Assert.Equal((hostile.Category, hostile.Reason), (row.Category, row.Reason));
        Assert.Equal(1, Op.Count("token"));
        Assert.Equal(1, Op.Count("jwks"));
        Sentinels.AssertNoneOf([.. Sentinels.Of(Op), "op-token-body-sentinel", "op-access-token-sentinel"], Sentinels.Written(Rp, browser, response));
    }

    [Fact]
    public async Task The_token_endpoints_error_text_is_never_echoed()
    {
        using var browser = Rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        pending.Fields["code"] = "a-code-the-op-never-issued";

        using var response = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "code_exchange_failed"), (Rp.Audit.Rows[0].Category, Rp.Audit.Rows[0].Reason));
        Sentinels.AssertNoneOf([.. Sentinels.Of(Op), "op-token-error-sentinel", "a-code-the-op-never-issued"], Sentinels.Written(Rp, browser, response));
    }

    private static async Task<HttpResponseMessage> PostAsync(BrowserClient browser, string action, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        request.Headers.Add("Cookie", browser.Cookies.Header(new Uri(action)));
        return await Raw.SendAsync(request);
    }

    private static StringContent Text(string form) => new(form, Encoding.ASCII, "application/x-www-form-urlencoded");

    private static StreamContent Chunked(string form)
    {
        // No Content-Length: the server learns the size only while reading.
        var content = new StreamContent(new NonSeekableStream(Encoding.ASCII.GetBytes(form)));
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        return content;
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
