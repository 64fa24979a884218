using System.Net;
using System.Text.Json;
using OidcRp.Audit;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Pipeline;

/// <summary>
/// Logins through the real stock OpenIdConnect handler pipeline: RP and test OP on Kestrel at 127.0.0.1,
/// real HTTP between them, the browser's part played by <see cref="BrowserClient"/>.
/// </summary>
public sealed class LoginPipelineTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("alpha")]);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    [Fact]
    public async Task Login_signs_in_with_the_provider_claim_and_writes_one_success_row()
    {
        using var browser = _rp.Browser();

        using var callback = await browser.LoginAsync("alpha");
        using var whoami = await browser.GetAsync(callback.Headers.Location!.ToString());

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal("/whoami", callback.Headers.Location!.ToString());
        var me = JsonDocument.Parse(await whoami.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("alpha", me.GetProperty("provider").GetString());
        Assert.Equal("alice", me.GetProperty("sub").GetString());
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.LoginSucceeded, OidcAuditOutcomes.Success, "alpha", "alice"), (row.Category, row.Outcome, row.ProviderId, row.Subject));
        Assert.Equal("OidcRpTests/1.0", row.UserAgent);
        Assert.Equal("127.0.0.1", row.ClientIp);
        Assert.Equal((1, 1, 1), (_op.Count("discovery"), _op.Count("jwks"), _op.Count("token")));
    }

    [Theory]
    [InlineData(TestOpRotation.KeepOld)]
    [InlineData(TestOpRotation.DropOld)]
    public async Task First_login_after_a_rotation_is_recovered_with_exactly_one_jwks_fetch(TestOpRotation mode)
    {
        using (var warm = _rp.Browser())
        {
            await warm.LoginAsync("alpha");
        }
        _op.Rotate("op-key-2", mode);

        using var browser = _rp.Browser();
        using var callback = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal("/whoami", callback.Headers.Location!.ToString());
        Assert.Equal(2, _op.Count("jwks"));
        var row = _rp.Audit.Rows[^1];
        Assert.Equal((OidcAuditCategories.KidMismatchRecovered, OidcAuditOutcomes.Success, "op-key-2", true),
            (row.Category, row.Outcome, row.Kid, row.KeysRefreshed));
        Assert.NotNull(row.RefreshDuration);
    }

    [Fact]
    public async Task Staged_key_promoted_later_is_recovered_on_the_first_login_it_signs()
    {
        using (var warm = _rp.Browser())
        {
            await warm.LoginAsync("alpha");
        }
        var staged = _op.Rotate("op-key-2", TestOpRotation.Stage);
        using (var before = _rp.Browser())
        {
            await before.LoginAsync("alpha");
        }
        _op.Signing = staged;

        using var browser = _rp.Browser();
        using var callback = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal([OidcAuditCategories.LoginSucceeded, OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered],
            _rp.Audit.Rows.Select(r => r.Category));
        Assert.Equal(2, _op.Count("jwks"));
    }

    [Fact]
    public async Task Login_started_before_a_rotation_and_finished_after_it_is_recovered_in_the_same_callback()
    {
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        _op.Rotate("op-key-2", TestOpRotation.DropOld);

        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal(OidcAuditCategories.KidMismatchRecovered, Assert.Single(_rp.Audit.Rows).Category);
        Assert.Equal(2, _op.Count("jwks"));
    }

    [Fact]
    public async Task Two_rotations_a_minute_apart_are_both_recovered()
    {
        using (var warm = _rp.Browser())
        {
            await warm.LoginAsync("alpha");
        }
        _op.Rotate("op-key-2", TestOpRotation.KeepOld);
        using (var first = _rp.Browser())
        {
            Assert.Equal(HttpStatusCode.Found, (await first.LoginAsync("alpha")).StatusCode);
        }
        _rp.Time.Advance(TimeSpan.FromMinutes(1));
        _op.Rotate("op-key-3", TestOpRotation.KeepOld);

        using var second = _rp.Browser();
        using var callback = await second.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Equal(2, _rp.Audit.Rows.Count(r => r.Category == OidcAuditCategories.KidMismatchRecovered));
        Assert.Equal(3, _op.Count("jwks"));
    }

    [Fact]
    public async Task Kid_the_op_never_publishes_fails_once_with_one_fetch_then_is_throttled()
    {
        using (var warm = _rp.Browser())
        {
            await warm.LoginAsync("alpha");
        }
        _op.Signing = TestSigningKey.Create("op-secret-unpublished");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++)
        {
            using var browser = _rp.Browser();
            statuses.Add((await browser.LoginAsync("alpha")).StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        Assert.Equal(2, _op.Count("jwks"));
        await _rp.FlushAuditAsync(); // throttled kid misses from one source are counted into one row per window
        var failures = _rp.Audit.Rows.Skip(1).ToList();
        Assert.Equal(OidcAuditCategories.KidMismatchUnrecovered, failures[0].Category);
        Assert.Equal(20, failures.Skip(1).Where(r => r.Category == OidcAuditCategories.KidMismatchThrottled).Sum(r => r.Count));
        Assert.All(failures, r => Assert.Equal(OidcAuditOutcomes.Failure, r.Outcome));
        _op.Signing.Dispose();
    }

    [Fact]
    public async Task Jwks_down_during_a_kid_miss_fails_clearly_and_cached_keys_keep_working()
    {
        using (var warm = _rp.Browser())
        {
            await warm.LoginAsync("alpha");
        }
        var old = _op.Signing;
        _op.Rotate("op-key-2", TestOpRotation.KeepOld);
        _op.JwksDown = true;

        using var failing = _rp.Browser();
        using var failed = await failing.LoginAsync("alpha");
        _op.Signing = old;
        using var working = _rp.Browser();
        using var succeeded = await working.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Contains("jwks_unreachable", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Found, succeeded.StatusCode);
        Assert.Equal([OidcAuditCategories.LoginSucceeded, OidcAuditCategories.JwksUnreachable, OidcAuditCategories.LoginSucceeded],
            _rp.Audit.Rows.Select(r => r.Category));
        Assert.Equal("jwks_http_503", _rp.Audit.Rows[1].Reason);
    }

    [Fact]
    public async Task Identity_provider_error_is_a_rejected_callback_without_the_ops_text()
    {
        _op.AuthorizeError = "access_denied";
        using var browser = _rp.Browser();

        using var callback = await browser.LoginAsync("alpha");
        var body = await callback.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        Assert.DoesNotContain("sentinel", body, StringComparison.Ordinal);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "idp_error:access_denied"), (row.Category, row.Reason));
        Assert.Equal(0, _op.Count("token"));
    }

    [Fact]
    public async Task Tampered_state_and_replayed_callbacks_are_rejected_with_one_row_each()
    {
        using var browser = _rp.Browser();
        var pending = await browser.BeginLoginAsync("alpha");
        var tampered = pending with { Fields = new(pending.Fields) { ["state"] = pending.Fields["state"][..^4] + "AAAA" } };

        using var bad = await browser.FinishLoginAsync(tampered);
        using var good = await browser.FinishLoginAsync(pending);
        using var replay = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Found, good.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(["state_invalid", null, "correlation_failed"], _rp.Audit.Rows.Select(r => r.Reason));
        Assert.Equal(1, _op.Count("token"));
    }

    [Fact]
    public async Task Authorization_response_from_another_issuer_is_rejected_before_the_code_is_redeemed()
    {
        _op.ResponseIss = "https://attacker.example";
        using var browser = _rp.Browser();

        using var callback = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "iss_mismatch"), (row.Category, row.Reason));
        Assert.Equal(0, _op.Count("token"));
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example")]
    public async Task Non_local_return_urls_land_on_the_root(string returnUrl)
    {
        using var browser = _rp.Browser();

        using var callback = await browser.LoginAsync("alpha", returnUrl);

        Assert.Equal("/", callback.Headers.Location!.ToString());
    }

    [Fact]
    public async Task Unknown_provider_login_is_not_found()
    {
        using var browser = _rp.Browser();

        using var response = await browser.GetAsync("/auth/oidc/nobody/login");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Logout_clears_the_session_and_goes_to_the_ops_end_session_endpoint()
    {
        using var browser = _rp.Browser();
        await browser.LoginAsync("alpha");

        using var logout = await browser.SendAsync(HttpMethod.Post, "/auth/oidc/logout");
        using var after = await browser.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.Found, logout.StatusCode);
        Assert.StartsWith(_op.Issuer + "/logout", logout.Headers.Location!.ToString(), StringComparison.Ordinal);
        // No ID token is kept for id_token_hint, so client_id tells the OP whose post_logout_redirect_uri this is.
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(logout.Headers.Location.Query);
        Assert.Equal(_op.ClientId, query["client_id"].ToString());
        Assert.False(query.ContainsKey("id_token_hint"));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task An_audit_sink_failure_never_fails_the_login()
    {
        _rp.Audit.Fail = true;
        using var browser = _rp.Browser();

        using var callback = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, callback.StatusCode);
        Assert.Contains(_rp.Logs.GetSnapshot(), r => r.Id.Id == 1202);
    }
}
