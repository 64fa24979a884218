using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The admin endpoints under abuse: ids that name no provider (path traversal, control characters,
/// encodings, very long ids) answer the same bare 404 as any unknown id, touch no provider, and write a
/// row with the actor and provider <c>*</c>, never the id as given; callers without the policy are
/// refused and recorded; no answer echoes an OP's response.
/// </summary>
public sealed class AdminAbuseTests : OneProviderTest
{
    // Escaped as they go on the wire.
    public static TheoryData<string> UnknownIds => new(
        "beta",
        "..%2Falpha",
        "..%5Calpha",
        "alpha%0D%0AInjected%3A%20line",
        "alpha%20",
        "alpha%2F..%2Falpha",
        "%27%20OR%201%3D1--",
        "%3Cscript%3E",
        new string('a', 300),
        "%E2%80%AEalpha");

    [Theory]
    [MemberData(nameof(UnknownIds))]
    public async Task An_unknown_or_hostile_id_answers_a_bare_404_and_is_recorded_without_its_text(string id)
    {
        using var admin = await SignedInAdminAsync();
        var jwksBefore = Op.Count("jwks");
        var discoveryBefore = Op.Count("discovery");

        using var refresh = await admin.SendAsync(HttpMethod.Post, $"{Rp.BaseUrl}/auth/oidc/providers/{id}/refresh", []);
        using var status = await admin.GetAsync($"{Rp.BaseUrl}/auth/oidc/providers/{id}");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (refresh.StatusCode, status.StatusCode));
        Assert.Equal(("", ""), (await refresh.Content.ReadAsStringAsync(), await status.Content.ReadAsStringAsync()));
        Assert.Equal((jwksBefore, discoveryBefore), (Op.Count("jwks"), Op.Count("discovery")));
        var rows = Rp.Audit.Rows.Where(r => r.Category is OidcAuditCategories.AdminRefresh or OidcAuditCategories.AdminAccess).ToList();
        Assert.Equal(
            [(OidcAuditCategories.AdminRefresh, "*", OidcAuditOutcomes.Failure, "unknown_provider", "alpha:admin"),
             (OidcAuditCategories.AdminAccess, "*", OidcAuditOutcomes.Failure, "unknown_provider", "alpha:admin")],
            rows.Select(r => (r.Category, r.ProviderId, r.Outcome, r.Reason, r.Actor)));
        var decoded = Uri.UnescapeDataString(id);
        Assert.DoesNotContain(Sentinels.OwnLogs(Rp), r => decoded.Length > 6 && r.Message.Contains(decoded, StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => decoded.Length > 6 && System.Text.Json.JsonSerializer.Serialize(r).Contains(decoded, StringComparison.Ordinal));
        Assert.DoesNotContain(Sentinels.OwnLogs(Rp), r => r.Message.Contains('\r') || r.Message.Contains('\n'));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("..%2Falpha")]
    public async Task An_anonymous_refresh_is_refused_recorded_and_never_reaches_the_provider(string id)
    {
        using var anonymous = Rp.Browser();

        using var response = await anonymous.SendAsync(HttpMethod.Post, $"{Rp.BaseUrl}/auth/oidc/providers/{id}/refresh", []);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var row = Assert.Single(Rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.AdminRefresh, OidcAuditOutcomes.Denied, "anonymous", "unauthenticated"), (row.Category, row.Outcome, row.Actor, row.Reason));
        Assert.Equal(id == "alpha" ? "alpha" : "*", row.ProviderId);
        Assert.Equal(0, Op.Count("jwks"));
    }

    [Fact]
    public async Task A_plain_user_is_forbidden_from_every_admin_endpoint_and_each_call_is_recorded()
    {
        using var user = Rp.Browser();
        using (await user.LoginAsync("alpha"))
        {
        }
        Rp.Audit.Clear();
        var jwks = Op.Count("jwks");

        var statuses = new List<HttpStatusCode>();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "providers"), (HttpMethod.Get, "providers/alpha"), (HttpMethod.Post, "providers/alpha/refresh"), (HttpMethod.Get, "audit") })
        {
            using var response = await user.SendAsync(method, $"{Rp.BaseUrl}/auth/oidc/{path}", method == HttpMethod.Post ? [] : null);
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Forbidden, s));
        await Rp.FlushAuditAsync(); // denied calls from one source are counted into one row per window and key
        Assert.Equal(4, Rp.Audit.Rows.Where(r => r.Outcome == OidcAuditOutcomes.Denied && r.Actor == "alpha:alice" && r.Reason == "forbidden").Sum(r => r.Count));
        Assert.Equal(jwks, Op.Count("jwks"));
    }

    [Fact]
    public async Task A_refresh_against_a_failing_provider_answers_a_code_not_the_providers_text()
    {
        using var admin = await SignedInAdminAsync();
        Op.JwksDown = true;

        using var response = await admin.SendAsync(HttpMethod.Post, $"{Rp.BaseUrl}/auth/oidc/providers/alpha/refresh", []);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"error\":\"provider_unreachable\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Service Unavailable", body, StringComparison.OrdinalIgnoreCase);
        var row = Rp.Audit.Rows.Last(r => r.Category == OidcAuditCategories.AdminRefresh);
        Assert.Equal(("alpha", OidcAuditOutcomes.Failure, "alpha:admin"), (row.ProviderId, row.Outcome, row.Actor));
        Sentinels.AssertNoneOf(Sentinels.Of(Op), Sentinels.Written(Rp, admin, response));
    }

    [Fact]
    public async Task Allowed_admin_reads_are_recorded_with_the_actor()
    {
        using var admin = await SignedInAdminAsync();

        using (await admin.GetAsync($"{Rp.BaseUrl}/auth/oidc/providers"))
        using (await admin.GetAsync($"{Rp.BaseUrl}/auth/oidc/providers/alpha"))
        using (await admin.GetAsync($"{Rp.BaseUrl}/auth/oidc/audit"))
        {
        }

        // The recording sink cannot be queried (501); the call is recorded all the same.
        Assert.Equal([("*", "list"), ("alpha", "status"), ("*", "audit_not_queryable")],
            Rp.Audit.Rows.Where(r => r.Category == OidcAuditCategories.AdminAccess).Select(r => (r.ProviderId, r.Reason!)));
        Assert.All(Rp.Audit.Rows.Where(r => r.Category == OidcAuditCategories.AdminAccess), r => Assert.Equal("alpha:admin", r.Actor));
    }

    private async Task<BrowserClient> SignedInAdminAsync()
    {
        Op.NextSubject = "admin";
        var admin = Rp.Browser();
        using (var login = await admin.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }
        Op.NextSubject = "alice";
        Rp.Audit.Clear();
        return admin;
    }
}
