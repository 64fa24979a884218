using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Authorization and token requests built from what the provider's discovery offers, over real HTTP: the response
/// mode (and the callback accepting exactly that mode), the client authentication, PKCE, PAR, prompt and max_age
/// with its auth_time check. Each outcome is seen at the OP (what it received, how often) and in the audit row.
/// </summary>
public sealed class ProviderRequestTests : IAsyncLifetime
{
    private TestOp _op = null!;

    public async Task InitializeAsync() => _op = await TestOp.StartAsync();

    public async Task DisposeAsync() => await _op.DisposeAsync();

    private Task<RpApp> StartRpAsync(Action<OidcProviderOptions>? provider = null) =>
        RpApp.StartAsync([_op.As("alpha")], o => provider?.Invoke(o.Providers["alpha"]));

    private static async Task AssertSignedInAsync(RpApp rp, BrowserClient browser, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.LoginSucceeded, OidcAuditOutcomes.Success), (row.Category, row.Outcome));
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
    }

    private void AssertRejected(RpApp rp, HttpResponseMessage response, string category, string reason, int tokenRequests)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((category, reason, OidcAuditOutcomes.Failure), (row.Category, row.Reason, row.Outcome));
        Assert.Equal(tokenRequests, _op.Count("token"));
    }

    public static TheoryData<string?, string?, bool> Modes => new()
    {
        // advertised response_modes_supported ("-" for absent), configured ResponseMode, answer expected by form_post
        { "query,form_post", null, true },
        { "form_post", null, true },
        { "query", null, false },
        { "query,fragment", null, false },
        { "-", null, false },
        { "query,form_post", "query", false },
        { "query", "form_post", true },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task The_response_mode_follows_the_discovery_or_the_override_and_the_login_completes(string? advertised, string? configured, bool formPost)
    {
        _op.ResponseModes = advertised == "-" ? null : advertised!.Split(',');
        await using var rp = await StartRpAsync(p => p.ResponseMode = configured);
        using var browser = rp.Browser();

        var pending = await browser.BeginLoginAsync("alpha");
        using var response = await browser.FinishLoginAsync(pending);

        var request = Assert.Single(_op.AuthorizeRequests);
        Assert.Equal(formPost ? "form_post" : null, request.GetValueOrDefault("response_mode"));
        Assert.Equal(!formPost, pending.Query);
        await AssertSignedInAsync(rp, browser, response);
        Assert.Equal(1, _op.Count("token"));
    }

    [Fact]
    public async Task A_form_post_answer_to_a_query_request_is_refused_before_the_code_is_redeemed()
    {
        _op.ResponseModes = null;
        _op.AnswerMode = "form_post";
        await using var rp = await StartRpAsync();
        using var browser = rp.Browser();

        var pending = await browser.BeginLoginAsync("alpha");
        Assert.False(pending.Query);
        using var response = await browser.FinishLoginAsync(pending);

        Assert.Null(Assert.Single(_op.AuthorizeRequests).GetValueOrDefault("response_mode"));
        AssertRejected(rp, response, OidcAuditCategories.CallbackRejected, OidcRpReasons.ResponseModeMismatch, tokenRequests: 0);
    }

    [Fact]
    public async Task A_query_answer_to_a_form_post_request_is_refused_before_the_code_is_redeemed()
    {
        _op.AnswerMode = "query";
        await using var rp = await StartRpAsync();
        using var browser = rp.Browser();

        var pending = await browser.BeginLoginAsync("alpha");
        Assert.True(pending.Query);
        using var response = await browser.FinishLoginAsync(pending);

        Assert.Equal("form_post", Assert.Single(_op.AuthorizeRequests)["response_mode"]);
        AssertRejected(rp, response, OidcAuditCategories.CallbackRejected, OidcRpReasons.ResponseModeMismatch, tokenRequests: 0);
    }

    public static TheoryData<string?, string?, string> AuthMethods => new()
    {
        // advertised token_endpoint_auth_methods_supported ("-" for absent), configured ClientAuthentication, used
        { "client_secret_basic,client_secret_post", null, "client_secret_basic" },
        { "client_secret_post", null, "client_secret_post" },
        { "private_key_jwt,client_secret_post", null, "client_secret_post" },
        { "-", null, "client_secret_basic" },
        { "client_secret_basic,client_secret_post", "client_secret_post", "client_secret_post" },
        { "client_secret_post", "client_secret_basic", "client_secret_basic" },
    };

    [Theory]
    [MemberData(nameof(AuthMethods))]
    public async Task The_client_authenticates_as_the_discovery_or_the_override_says(string? advertised, string? configured, string used)
    {
        _op.AuthMethods = advertised == "-" ? null : advertised!.Split(',');
        _op.RequireAuthMethod = used; // the OP refuses any other method, and a request carrying both
        await using var rp = await StartRpAsync(p => p.ClientAuthentication = configured);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        await AssertSignedInAsync(rp, browser, response);
        Assert.Equal([used], _op.AuthMethodsUsed);
    }

    [Fact]
    public async Task A_method_the_op_refuses_fails_as_a_code_exchange_failure()
    {
        _op.RequireAuthMethod = "client_secret_post";
        await using var rp = await StartRpAsync(); // both listed: basic is chosen, and refused
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        AssertRejected(rp, response, OidcAuditCategories.CallbackRejected, OidcRpReasons.CodeExchangeFailed, tokenRequests: 1);
        Assert.Equal(["client_secret_basic"], _op.AuthMethodsUsed);
    }

    [Fact]
    public async Task Pkce_is_S256_when_the_provider_lists_no_method()
    {
        _op.CodeChallengeMethods = null;
        await using var rp = await StartRpAsync();
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        var request = Assert.Single(_op.AuthorizeRequests);
        Assert.Equal("S256", request["code_challenge_method"]);
        Assert.Equal(43, request["code_challenge"].Length); // base64url of a SHA-256 hash
        await AssertSignedInAsync(rp, browser, response);
    }

    [Theory]
    [InlineData("client_secret_basic")]
    [InlineData("client_secret_post")]
    public async Task An_advertised_par_endpoint_receives_the_request_authenticated_and_the_browser_carries_only_its_uri(string method)
    {
        _op.Par = true;
        _op.AuthMethods = [method];
        _op.RequireAuthMethod = method;
        await using var rp = await StartRpAsync(p => { p.Prompt = "login"; p.MaxAge = TimeSpan.FromMinutes(10); });
        _op.IdTokenFactory = r => WithAuthTime(r, DateTimeOffset.UtcNow.AddMinutes(-1));
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        var front = Assert.Single(_op.AuthorizeRequests);
        Assert.Equal(["client_id", "request_uri"], front.Keys.Order());
        var pushed = Assert.Single(_op.PushedRequests);
        Assert.Equal(("form_post", "S256", "login", "600"), (pushed["response_mode"], pushed["code_challenge_method"], pushed["prompt"], pushed["max_age"]));
        Assert.Equal([method, method], _op.AuthMethodsUsed); // PAR, then the token request
        await AssertSignedInAsync(rp, browser, response);
    }

    [Fact]
    public async Task Par_turned_off_sends_the_request_through_the_browser()
    {
        _op.Par = true;
        await using var rp = await StartRpAsync(p => p.PushedAuthorization = false);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(0, _op.Count("par"));
        Assert.Equal("form_post", Assert.Single(_op.AuthorizeRequests)["response_mode"]);
        await AssertSignedInAsync(rp, browser, response);
    }

    [Theory]
    [InlineData("client_secret_basic")] // OidcRp's own push (the secret in the Authorization header)
    [InlineData("client_secret_post")]  // the stock handler's push
    public async Task A_refused_par_request_is_a_login_start_failure_with_a_row_not_a_500(string method)
    {
        _op.Par = true;
        _op.AuthMethods = [method];
        await using var rp = await StartRpAsync();
        _op.Secret = "the-secret-rotated-at-the-op-only"; // the RP still sends the old one
        using var browser = rp.Browser();

        using var response = await browser.GetAsync($"/auth/oidc/alpha/login?returnUrl=%2Fwhoami");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie")); // no correlation or nonce cookie of a challenge that did not happen
        Assert.Contains("login_start_failed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.LoginStartFailed, OidcRpReasons.ParFailed, OidcAuditOutcomes.Failure, OidcAuditPaths.Login),
            (row.Category, row.Reason, row.Outcome, row.Path));
        Assert.Equal((1, 0), (_op.Count("par"), _op.AuthorizeRequests.Count));
    }

    [Fact]
    public async Task Repeated_login_start_failures_from_one_source_are_aggregated_not_a_row_each()
    {
        _op.Par = true;
        await using var rp = await StartRpAsync();
        _op.Secret = "the-secret-rotated-at-the-op-only";
        using var browser = rp.Browser();

        for (var i = 0; i < 5; i++)
        {
            using var response = await browser.GetAsync("/auth/oidc/alpha/login");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }

        var first = Assert.Single(rp.Audit.Rows); // the first at once; the other four counted into the window's row
        Assert.Equal((OidcAuditCategories.LoginStartFailed, 1), (first.Category, first.Count));
        Assert.Equal(5, _op.Count("par"));
    }

    [Fact]
    public async Task A_provider_whose_metadata_cannot_load_is_a_login_start_failure_with_a_row()
    {
        _op.JwksDown = true; // before the provider ever loads: no last good keys to serve
        await using var rp = await StartRpAsync();
        using var browser = rp.Browser();

        using var response = await browser.GetAsync($"/auth/oidc/alpha/login");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.LoginStartFailed, OidcRpReasons.MetadataUnavailable), (row.Category, row.Reason));
    }

    private static string WithAuthTime(IdTokenRequest r, DateTimeOffset? authTime)
    {
        var claims = r.Claims();
        if (authTime is { } t)
        {
            claims["auth_time"] = t.ToUnixTimeSeconds();
        }
        return r.Signing.Sign(r.Header(), claims);
    }

    [Fact]
    public async Task Prompt_and_max_age_are_sent_and_a_recent_auth_time_signs_in()
    {
        await using var rp = await StartRpAsync(p => { p.Prompt = "select_account consent"; p.MaxAge = TimeSpan.FromMinutes(10); });
        _op.IdTokenFactory = r => WithAuthTime(r, DateTimeOffset.UtcNow.AddMinutes(-9));
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        var request = Assert.Single(_op.AuthorizeRequests);
        Assert.Equal(("select_account consent", "600"), (request["prompt"], request["max_age"]));
        await AssertSignedInAsync(rp, browser, response);
    }

    public static TheoryData<string, int?> BadAuthTimes => new()
    {
        { "missing", null },
        { "older than max_age plus the skew", -(10 + 5 + 1) * 60 },
        { "in the future beyond the skew", (5 + 1) * 60 },
    };

    [Theory]
    [MemberData(nameof(BadAuthTimes))]
    public async Task With_max_age_an_id_token_without_a_fitting_auth_time_is_refused(string name, int? offsetSeconds)
    {
        Assert.NotNull(name);
        await using var rp = await StartRpAsync(p => p.MaxAge = TimeSpan.FromMinutes(10));
        _op.IdTokenFactory = r => WithAuthTime(r, offsetSeconds is { } s ? rp.Time.GetUtcNow().AddSeconds(s) : null);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        AssertRejected(rp, response, OidcAuditCategories.IdTokenInvalid, OidcRpReasons.AuthTimeInvalid, tokenRequests: 1);
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    [Fact]
    public async Task Without_max_age_auth_time_is_not_required()
    {
        await using var rp = await StartRpAsync();
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.False(Assert.Single(_op.AuthorizeRequests).ContainsKey("max_age"));
        await AssertSignedInAsync(rp, browser, response);
    }
}
