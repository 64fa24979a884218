using System.Net;
using System.Text.Json;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>Bearer tokens through the real pipeline: acceptance, RFC 6750 answers, and what costs a fetch.</summary>
public sealed class BearerBasicsTests : BearerTestBase
{
    [Fact]
    public async Task A_token_of_a_registered_provider_is_accepted_with_its_scopes_and_no_row()
    {
        using var response = await CallAsync(Op.CreateAccessToken(scope: "api.read api.write"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("alpha", body.RootElement.GetProperty("provider").GetString());
        Assert.Equal(["api.read", "api.write"], body.RootElement.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(1, Op.Count("jwks")); // the first use loads the provider, once
        Assert.Empty(Rp.Audit.Rows); // API calls are not login events: metrics only
    }

    [Fact]
    public async Task No_token_is_a_bare_bearer_challenge()
    {
        using var response = await CallAsync(null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(0, Op.Count("jwks"));
    }

    [Fact]
    public async Task A_refused_token_is_invalid_token_with_no_detail_in_the_body()
    {
        var token = Op.CreateAccessToken();
        var tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");

        using var response = await CallAsync(tampered);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_missing_scope_is_403_insufficient_scope()
    {
        using var response = await CallAsync(Op.CreateAccessToken(scope: "api.read"), "/api/write", HttpMethod.Post);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Bearer error=\"insufficient_scope\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken(scope: "api.write"), "/api/write", HttpMethod.Post));
    }

    [Fact]
    public async Task An_issuer_naming_no_provider_costs_no_fetch()
    {
        var foreign = Op.CreateAccessToken(claims: new Dictionary<string, object?> { ["iss"] = "https://elsewhere.example" });

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(foreign));
        Assert.Equal((0, 0), (Op.Count("discovery"), Op.Count("jwks")));
        await Rp.FlushAuditAsync();
        var row = Assert.Single(BearerRows);
        Assert.Equal((OidcAuditCategories.AccessTokenInvalid, OidcRpReasons.IssuerUnknown, "*"), (row.Category, row.Reason, row.ProviderId));
    }

    [Fact]
    public async Task The_wrong_audience_and_an_expired_token_are_refused_without_a_row()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken(audience: "other-api")));
        var past = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken(claims: new Dictionary<string, object?> { ["exp"] = past })));
        await Rp.FlushAuditAsync();
        Assert.Empty(Rp.Audit.Rows); // a client with a stale token must not fill the audit store
    }

    [Fact]
    public async Task An_id_token_is_refused_as_a_bearer_token()
    {
        // typ JWT: refused by the default at+jwt rule before anything else.
        var idToken = Op.Signing!.CreateIdToken(Op.Issuer, "api", nonce: "n-1");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(idToken));
        await Rp.FlushAuditAsync();
        Assert.Contains(BearerRows, r => r.Reason == OidcRpReasons.IdTokenAsBearer);
    }

    [Fact]
    public async Task A_sender_constrained_token_is_refused()
    {
        var bound = Op.CreateAccessToken(claims: new Dictionary<string, object?> { ["cnf"] = new Dictionary<string, string> { ["jkt"] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" } });

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(bound));
        await Rp.FlushAuditAsync();
        Assert.Contains(BearerRows, r => r.Reason == OidcRpReasons.CnfNotSupported);
    }

    [Fact]
    public async Task The_query_string_is_not_read_by_default()
    {
        using var client = Rp.ApiClient();
        using var response = await client.GetAsync("/api/me?access_token=" + Op.CreateAccessToken());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString()); // as if no token was sent
        Assert.Equal(0, Op.Count("jwks"));
    }
}
