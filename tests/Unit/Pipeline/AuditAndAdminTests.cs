using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Pipeline;

/// <summary>Admin endpoints, the remaining audit categories, and the secret scan over everything OidcRp wrote.</summary>
public sealed class AuditAndAdminTests : IAsyncLifetime
{
    private TestOp _alpha = null!;
    private TestOp _beta = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _alpha = await TestOp.StartAsync("alpha-client");
        _beta = await TestOp.StartAsync("beta-client");
        _rp = await RpApp.StartAsync([_alpha.As("alpha"), _beta.As("beta")]);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
    }

    private async Task<BrowserClient> AdminAsync()
    {
        var admin = _rp.Browser();
        _alpha.NextSubject = "admin";
        Assert.Equal(HttpStatusCode.Found, (await admin.LoginAsync("alpha")).StatusCode);
        _alpha.NextSubject = "alice";
        return admin;
    }

    [Fact]
    public async Task Admin_refresh_answers_200_then_429_inside_the_interval_and_404_for_unknown_ids()
    {
        using var admin = await AdminAsync();
        _alpha.Rotate("op-key-2", TestOpRotation.KeepOld);

        using var ok = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var throttled = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var unknown = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/nobody/refresh");
        using var traversal = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/..%2Falpha/refresh");

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["op-key-1"], body.GetProperty("kidsBefore").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["op-key-1", "op-key-2"], body.GetProperty("kidsAfter").EnumerateArray().Select(e => e.GetString()));
        Assert.True(body.GetProperty("changed").GetBoolean());
        Assert.Equal((HttpStatusCode)429, throttled.StatusCode);
        Assert.Equal("5", throttled.Headers.RetryAfter!.ToString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
        var rows = _rp.Audit.Rows.Where(r => r.Category == OidcAuditCategories.AdminRefresh).ToList();
        Assert.Equal([OidcAuditOutcomes.Success, OidcAuditOutcomes.Failure, OidcAuditOutcomes.Failure, OidcAuditOutcomes.Failure], rows.Select(r => r.Outcome));
        Assert.All(rows.Skip(2), r => Assert.Equal(("*", "unknown_provider", "alpha:admin"), (r.ProviderId, r.Reason, r.Actor))); // never the id as given
        Assert.Equal(("alpha:admin", "throttled"), (rows[1].Actor, rows[1].Reason));
        Assert.Equal(["op-key-1", "op-key-2"], rows[0].KidsAfter);
    }

    [Fact]
    public async Task Admin_refresh_of_an_unreachable_op_answers_502_generically_and_keeps_the_keys()
    {
        using var admin = await AdminAsync();
        _alpha.JwksDown = true;

        using var response = await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var status = await admin.GetAsync("/auth/oidc/providers/alpha");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("provider_unreachable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var provider = JsonDocument.Parse(await status.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["op-key-1"], provider.GetProperty("kids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("jwks_http_503", provider.GetProperty("lastErrorCode").GetString());
        Assert.Equal(OidcAuditOutcomes.Failure, _rp.Audit.Rows.Last(r => r.Category == OidcAuditCategories.AdminRefresh).Outcome);
    }

    [Fact]
    public async Task Denied_admin_calls_answer_401_or_403_and_write_a_row_with_the_actor()
    {
        using var anonymous = _rp.Browser();
        using var user = _rp.Browser();
        await user.LoginAsync("alpha");

        using var unauthenticated = await anonymous.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var forbidden = await user.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        using var forbiddenRead = await user.GetAsync("/auth/oidc/providers");

        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenRead.StatusCode);
        var denied = _rp.Audit.Rows.Where(r => r.Outcome == OidcAuditOutcomes.Denied).ToList();
        Assert.Equal([(OidcAuditCategories.AdminRefresh, "anonymous"), (OidcAuditCategories.AdminRefresh, "alpha:alice"), (OidcAuditCategories.AdminAccess, "alpha:alice")],
            denied.Select(r => (r.Category, r.Actor)));
        Assert.Equal(0, _alpha.Count("jwks") - 1);
    }

    [Fact]
    public async Task Provider_list_and_audit_query_show_status_without_secrets()
    {
        using var admin = await AdminAsync();
        using var other = _rp.Browser();
        await other.LoginAsync("beta");

        using var list = await admin.GetAsync("/auth/oidc/providers");
        using var audit = await admin.GetAsync("/auth/oidc/audit?provider=beta&category=login_succeeded");
        var listBody = await list.Content.ReadAsStringAsync();

        var providers = JsonDocument.Parse(listBody).RootElement.GetProperty("providers").EnumerateArray().ToList();
        Assert.Equal(["alpha", "beta"], providers.Select(p => p.GetProperty("id").GetString()));
        Assert.All(providers, p => Assert.True(p.GetProperty("loaded").GetBoolean()));
        Assert.DoesNotContain(TestOp.ClientSecret, listBody, StringComparison.Ordinal);
        // The test app's sink is not queryable; the default sink is (see below).
        Assert.Equal(HttpStatusCode.NotImplemented, audit.StatusCode);
    }

    [Fact]
    public async Task Response_from_one_providers_flow_never_completes_anothers()
    {
        using var browser = _rp.Browser();
        var alphaFlow = await browser.BeginLoginAsync("alpha");
        await browser.BeginLoginAsync("beta");

        using var crossed = await browser.FinishLoginAsync(alphaFlow, alphaFlow.Action.Replace("/alpha/", "/beta/", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, crossed.StatusCode);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal(("beta", OidcAuditCategories.CallbackRejected, "state_invalid"), (row.ProviderId, row.Category, row.Reason));
        Assert.Equal(0, _alpha.Count("token") + _beta.Count("token"));
    }

    [Fact]
    public async Task Nonce_mismatch_and_expired_tokens_are_id_token_invalid_with_their_reason()
    {
        _alpha.OverrideNonce = "not-the-nonce";
        using (var browser = _rp.Browser())
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await browser.LoginAsync("alpha")).StatusCode);
        }
        _alpha.OverrideNonce = null;
        _alpha.IssueExpired = true;
        using (var browser = _rp.Browser())
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await browser.LoginAsync("alpha")).StatusCode);
        }

        Assert.Equal([("id_token_invalid", "nonce"), ("id_token_invalid", "expired")], _rp.Audit.Rows.Select(r => (r.Category, r.Reason)));
        Assert.Equal(1, _alpha.Count("jwks"));
    }

    [Fact]
    public async Task Failed_code_exchange_is_a_rejected_callback()
    {
        await using var rp = await RpApp.StartAsync([_alpha.As("alpha")],
            o => o.Providers["alpha"].ClientSecret = "wrong-secret");
        using var browser = rp.Browser();

        using var callback = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, "code_exchange_failed"), (row.Category, row.Reason));
    }

    [Fact]
    public async Task Nothing_oidcrp_wrote_contains_a_token_code_state_nonce_verifier_or_secret()
    {
        // Exercise every path: success, recovery, unrecovered, throttled, unreachable, rejected, admin.
        using var admin = await AdminAsync();
        using (var b = _rp.Browser()) { await b.LoginAsync("beta"); }
        _alpha.Rotate("op-key-2", TestOpRotation.KeepOld);
        using (var b = _rp.Browser()) { await b.LoginAsync("alpha"); }
        _rp.Time.Advance(TimeSpan.FromSeconds(31));
        _alpha.Signing = TestSigningKey.Create("unpublished");
        using (var b = _rp.Browser()) { await b.LoginAsync("alpha"); }
        using (var b = _rp.Browser()) { await b.LoginAsync("alpha"); }
        _beta.JwksDown = true;
        _beta.Rotate("beta-2", TestOpRotation.KeepOld);
        using (var b = _rp.Browser()) { await b.LoginAsync("beta"); }
        _alpha.AuthorizeError = "access_denied";
        using (var b = _rp.Browser()) { await b.LoginAsync("alpha"); }
        await admin.SendAsync(HttpMethod.Post, "/auth/oidc/providers/alpha/refresh");
        await admin.GetAsync("/auth/oidc/providers");

        var categories = _rp.Audit.Rows.Select(r => r.Category).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered, OidcAuditCategories.KidMismatchUnrecovered,
            OidcAuditCategories.KidMismatchThrottled, OidcAuditCategories.JwksUnreachable, OidcAuditCategories.CallbackRejected,
            OidcAuditCategories.AdminRefresh,
        }, categories);

        var secrets = _alpha.Secrets.Concat(_beta.Secrets).Append(TestOp.ClientSecret).Where(s => s.Length >= 8).ToList();
        var written = _rp.Logs.GetSnapshot().Select(r => r.Message + " " + string.Join(",", r.StructuredState?.Select(kv => kv.Value) ?? []) + " " + r.Exception?.ToString())
            .Concat(_rp.Audit.Rows.Select(r => JsonSerializer.Serialize(r)))
            .Concat(admin.Bodies)
            .ToList();
        Assert.True(secrets.Count > 20, "the scan must have secrets to look for");
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(written, w => w.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Default_sink_logs_each_row_and_serves_the_audit_endpoint()
    {
        await using var rp = await RpApp.StartAsync([_alpha.As("alpha")],
            services: s => s.AddSingleton<IOidcAuditSink>(sp => ActivatorUtilities.CreateInstance<LoggingAuditSink>(sp)));
        using var admin = rp.Browser();
        _alpha.NextSubject = "admin";
        await admin.LoginAsync("alpha");
        using var user = rp.Browser();
        _alpha.NextSubject = "alice";
        await user.LoginAsync("alpha");

        using var page = await admin.GetAsync("/auth/oidc/audit?limit=1");
        var rows = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        var lastId = rows[0].GetProperty("id").GetString();
        using var next = await admin.GetAsync($"/auth/oidc/audit?limit=10&before={lastId}");
        var older = JsonDocument.Parse(await next.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();

        Assert.Equal("alice", rows.Single().GetProperty("subject").GetString());
        // Older: the admin's login and the first load of alpha's keys (keys_fetched, written before the login's row).
        Assert.Equal([("login_succeeded", "admin"), ("keys_fetched", null)],
            older.Select(r => (r.GetProperty("category").GetString(), r.TryGetProperty("subject", out var sub) ? sub.GetString() : null)));
        Assert.Equal(5, rp.Logs.GetSnapshot().Count(r => r.Id.Id == 1201)); // two logins, one key fetch, two audit reads
    }
}
