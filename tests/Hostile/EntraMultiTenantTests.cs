using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// A multi-tenant provider shaped like Entra ID <c>common</c>: the test OP publishes the issuer template
/// <c>http://127.0.0.1:PORT/{tenantid}/v2.0</c> and signs for two tenants, A (allowed) and B (not). The real Entra hosts
/// cannot be served on loopback, so the provider names its template with <c>IssuerTemplate</c>, the same rule the
/// recognised Entra authorities get. Each outcome, its reason and the requests the OP saw are asserted.
/// </summary>
public sealed class EntraMultiTenantTests : IAsyncLifetime
{
    private const string TenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string TenantB = "0b2d3f8c-1c4e-4a52-9a3e-5e4d0c6b7a11";

    private TestOp _op = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _op.PublishIssuerTemplate = true;
        _op.Tenant = TenantA;
    }

    public async Task DisposeAsync() => await _op.DisposeAsync();

    private Task<RpApp> StartRpAsync(params string[] allowedTenants) => RpApp.StartAsync([_op.As("entra")], o =>
    {
        o.Providers["entra"].IssuerTemplate = _op.TemplateIssuer;
        foreach (var tenant in allowedTenants)
        {
            o.Providers["entra"].AllowedTenants.Add(tenant);
        }
    });

    private static string Sign(IdTokenRequest r, Action<Dictionary<string, object?>> claims, TestSigningKey? key = null)
    {
        var c = r.Claims();
        claims(c);
        var signing = key ?? r.Signing;
        var header = r.Header();
        header["kid"] = signing.Kid;
        return signing.Sign(header, c);
    }

    private static async Task<JsonElement> WhoAmIAsync(BrowserClient browser)
    {
        using var response = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private void AssertOpCounts(int discovery, int jwks, int token) =>
        Assert.Equal((discovery, jwks, token), (_op.Count("discovery"), _op.Count("jwks"), _op.Count("token")));

    [Fact]
    public async Task An_allowed_tenant_signs_in_with_the_tenant_in_the_actor_and_the_audit_row()
    {
        await using var rp = await StartRpAsync(TenantA);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.LoginSucceeded, TenantA, "alice"), (row.Category, row.TenantId, row.Subject));
        var me = await WhoAmIAsync(browser);
        Assert.Equal($"entra:{TenantA}:alice", me.GetProperty("actor").GetString());
        AssertOpCounts(discovery: 1, jwks: 1, token: 1);
        Assert.DoesNotContain(rp.Logs.GetSnapshot(), r => r.Id.Id == 1090); // a tenant list is configured: no warning
    }

    [Fact]
    public async Task A_tenant_not_in_the_list_is_refused_after_the_code_is_redeemed_with_its_tenant_in_the_row()
    {
        await using var rp = await StartRpAsync(TenantA);
        _op.Tenant = TenantB;
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, OidcRpReasons.TenantNotAllowed, TenantB), (row.Category, row.Reason, row.TenantId));
        Assert.Null(row.Subject);
        AssertOpCounts(discovery: 1, jwks: 1, token: 1);
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
    }

    [Theory]
    [InlineData(TenantA, TenantB)] // the iss of the allowed tenant, the tid of another
    [InlineData(TenantB, TenantA)] // the tid of the allowed tenant, the iss of another
    public async Task A_token_whose_iss_tenant_differs_from_its_tid_is_refused_as_issuer(string issTenant, string tid)
    {
        await using var rp = await StartRpAsync(TenantA);
        _op.IdTokenFactory = r => Sign(r, c => (c["iss"], c["tid"]) = (_op.TenantIssuer(issTenant), tid));
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, OidcRpReasons.Issuer), (row.Category, row.Reason));
        AssertOpCounts(discovery: 1, jwks: 1, token: 1);
    }

    [Theory]
    [InlineData("no tid")]
    [InlineData("contoso.onmicrosoft.com")]
    public async Task A_token_without_a_guid_tid_is_refused(string tid)
    {
        await using var rp = await StartRpAsync(TenantA);
        _op.IdTokenFactory = r => Sign(r, c =>
        {
            if (tid == "no tid")
            {
                c.Remove("tid");
            }
            else
            {
                c["tid"] = tid;
            }
        });
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(OidcRpReasons.TenantInvalid, Assert.Single(rp.Audit.Rows).Reason);
    }

    [Fact]
    public async Task A_key_bound_to_the_other_tenants_issuer_does_not_verify_the_allowed_tenants_token()
    {
        // Entra ID's common key set holds keys bound to one tenant (the consumers tenant's): such a key signs for that
        // tenant only. Here a published key bound to tenant B signs a well-formed token of tenant A.
        using var boundToB = TestSigningKey.Create("key-of-b");
        boundToB.IssuerMember = _op.TenantIssuer(TenantB);
        _op.Published.Add(boundToB);
        await using var rp = await StartRpAsync(TenantA, TenantB);
        _op.IdTokenFactory = r => Sign(r, _ => { }, boundToB);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, OidcRpReasons.KeyIssuerMismatch, "key-of-b"), (row.Category, row.Reason, row.Kid));
        AssertOpCounts(discovery: 1, jwks: 1, token: 1); // a bound key is no rotation: no refresh
        _op.Published.Remove(boundToB);
    }

    [Fact]
    public async Task A_key_bound_to_a_tenant_still_verifies_that_tenants_token()
    {
        using var boundToB = TestSigningKey.Create("key-of-b");
        boundToB.IssuerMember = _op.TenantIssuer(TenantB);
        _op.Published.Add(boundToB);
        await using var rp = await StartRpAsync(TenantA, TenantB);
        _op.Tenant = TenantB;
        _op.Signing = boundToB;
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal((OidcAuditCategories.LoginSucceeded, TenantB), (Assert.Single(rp.Audit.Rows).Category, rp.Audit.Rows[0].TenantId));
        _op.Published.Remove(boundToB);
    }

    [Fact]
    public async Task A_refused_tenant_naming_an_unknown_kid_costs_the_op_no_jwks_request()
    {
        // The key-free checks before any refresh use the same rule: a tenant that may not sign in is no rotation.
        await using var rp = await StartRpAsync(TenantA);
        using var unpublished = TestSigningKey.Create("never-published");
        _op.Tenant = TenantB;
        _op.Signing = unpublished;
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((OidcAuditCategories.IdTokenInvalid, OidcRpReasons.TenantNotAllowed), (Assert.Single(rp.Audit.Rows).Category, rp.Audit.Rows[0].Reason));
        AssertOpCounts(discovery: 1, jwks: 1, token: 1);
    }

    [Fact]
    public async Task The_rfc9207_iss_of_a_refused_tenant_is_refused_before_the_token_endpoint()
    {
        await using var rp = await StartRpAsync(TenantA);
        _op.ResponseIss = _op.TenantIssuer(TenantB);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, OidcRpReasons.TenantNotAllowed, TenantB), (row.Category, row.Reason, row.TenantId));
        Assert.Equal(0, _op.Count("token"));
    }

    [Theory]
    [InlineData("template")]
    [InlineData("other-host")]
    public async Task An_rfc9207_iss_that_is_not_a_tenant_issuer_is_a_mismatch(string kind)
    {
        await using var rp = await StartRpAsync(TenantA);
        _op.ResponseIss = kind == "template" ? _op.TemplateIssuer : $"https://login.example/{TenantA}/v2.0";
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((OidcAuditCategories.CallbackRejected, OidcRpReasons.IssMismatch), (Assert.Single(rp.Audit.Rows).Category, rp.Audit.Rows[0].Reason));
        Assert.Equal(0, _op.Count("token"));
    }

    [Fact]
    public async Task The_rfc9207_iss_of_the_allowed_tenant_signs_in()
    {
        await using var rp = await StartRpAsync(TenantA);
        _op.AdvertiseIssParameter = true;
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("entra");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(TenantA, Assert.Single(rp.Audit.Rows).TenantId);
    }

    [Fact]
    public async Task Without_a_tenant_list_any_tenant_signs_in_and_start_up_says_so()
    {
        await using var rp = await StartRpAsync();

        Assert.Contains(rp.Logs.GetSnapshot(), r => r.Id.Id == 1090 && r.Message.Contains("entra", StringComparison.Ordinal));
        foreach (var tenant in new[] { TenantA, TenantB })
        {
            _op.Tenant = tenant;
            using var browser = rp.Browser();
            using var response = await browser.LoginAsync("entra");
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal($"entra:{tenant}:alice", (await WhoAmIAsync(browser)).GetProperty("actor").GetString());
        }
        Assert.Equal([TenantA, TenantB], rp.Audit.Rows.Select(r => r.TenantId));
        AssertOpCounts(discovery: 1, jwks: 1, token: 2);
    }

    [Fact]
    public async Task A_single_issuer_provider_keeps_its_actor_and_has_no_tenant()
    {
        _op.PublishIssuerTemplate = false;
        await using var rp = await RpApp.StartAsync([_op.As("alpha")]);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Null(Assert.Single(rp.Audit.Rows).TenantId);
        Assert.Equal("alpha:alice", (await WhoAmIAsync(browser)).GetProperty("actor").GetString());
        Assert.DoesNotContain(rp.Logs.GetSnapshot(), r => r.Id.Id == 1090);
    }

    [Fact]
    public async Task Without_the_template_setting_the_template_discovery_is_still_an_issuer_mismatch()
    {
        await using var rp = await RpApp.StartAsync([_op.As("entra")]); // a loopback authority is not an Entra authority
        using var browser = rp.Browser();

        using var response = await browser.GetAsync("/auth/oidc/entra/login?returnUrl=/whoami");

        Assert.NotEqual(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(0, _op.Count("authorize"));
        Assert.Equal(0, _op.Count("jwks"));
    }
}
