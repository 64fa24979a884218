using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Bearer;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Unit.Bearer;

/// <summary>The bearer path's key-free rules: shape, header, payload shapes of scopes and roles, ID tokens, cnf; and where a token is read from.</summary>
public sealed class BearerTokenRulesTests : IDisposable
{
    private static readonly string[] Rs256 = ["RS256"];
    private static readonly string[] AtJwt = ["at+jwt"];
    private readonly TestSigningKey _key = TestSigningKey.Create("k1");

    public void Dispose() => _key.Dispose();

    private JsonWebToken Token(Dictionary<string, object?> payload, string typ = "at+jwt", Dictionary<string, object?>? header = null)
    {
        var h = header ?? new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = typ, ["kid"] = "k1" };
        return new JsonWebToken(_key.Sign(h, payload));
    }

    [Theory]
    [InlineData("a.b.c", null)]
    [InlineData("a.b.c.d.e", OidcRpReasons.JweNotAllowed)]
    [InlineData("2YotnFZFEjr1zCsicMWpAA", OidcRpReasons.TokenNotJwt)]
    [InlineData("a.b", OidcRpReasons.TokenNotJwt)]
    public void Shape_tells_a_jws_from_a_jwe_and_an_opaque_token(string token, string? expected) =>
        Assert.Equal(expected, BearerTokenRules.CheckShape(token));

    [Theory]
    [InlineData("at+jwt", null)]
    [InlineData("application/at+jwt", null)]
    [InlineData("AT+JWT", null)]
    [InlineData("JWT", OidcRpReasons.TypNotAllowed)]
    [InlineData("logout+jwt", OidcRpReasons.TypNotAllowed)]
    public void Typ_defaults_to_rfc_9068(string typ, string? expected) =>
        Assert.Equal(expected, BearerTokenRules.CheckHeader(Token([], typ), Rs256, AtJwt));

    [Fact]
    public void Keycloak_style_JWT_is_accepted_when_listed_and_a_missing_typ_counts_as_JWT()
    {
        string[] jwt = ["JWT"];
        Assert.Null(BearerTokenRules.CheckHeader(Token([], "JWT"), Rs256, jwt));
        Assert.Null(BearerTokenRules.CheckHeader(Token([], header: new() { ["alg"] = "RS256", ["kid"] = "k1" }), Rs256, jwt));
        Assert.Equal(OidcRpReasons.TypNotAllowed, BearerTokenRules.CheckHeader(Token([], header: new() { ["alg"] = "RS256" }), Rs256, AtJwt));
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("none")]
    [InlineData("RS512")]
    public void Algorithms_outside_the_list_and_symmetric_ones_are_refused(string alg)
    {
        string[] allowed = ["RS256", "HS256"]; // even if listed, HS* never verifies a bearer token
        Assert.Equal(OidcRpReasons.AlgNotAllowed, BearerTokenRules.CheckHeader(Token([], header: new() { ["alg"] = alg, ["typ"] = "at+jwt" }), allowed, AtJwt));
    }

    [Theory]
    [InlineData("jku")]
    [InlineData("jwk")]
    [InlineData("x5u")]
    public void Embedded_keys_are_refused(string header) =>
        Assert.Equal(OidcRpReasons.EmbeddedKeyNotAllowed,
            BearerTokenRules.CheckHeader(Token([], header: new() { ["alg"] = "RS256", ["typ"] = "at+jwt", [header] = "https://evil" }), Rs256, AtJwt));

    [Fact]
    public void Scopes_are_read_from_scope_and_scp_in_every_shape()
    {
        var claims = BearerTokenRules.ScanClaims(Token(new() { ["scope"] = "a  b", ["scp"] = new[] { "c", "d" } }));
        Assert.Null(claims.Refusal);
        Assert.Equal(["a", "b", "c", "d"], claims.Scopes);
        Assert.Equal(["e", "f"], BearerTokenRules.ScanClaims(Token(new() { ["scp"] = "e f" })).Scopes);
    }

    [Fact]
    public void Roles_are_read_from_roles_and_keycloak_realm_access()
    {
        var claims = BearerTokenRules.ScanClaims(Token(new()
        {
            ["roles"] = new[] { "Orders.Write" },
            ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "admin", "user" }, ["other"] = 1 },
            ["resource_access"] = new Dictionary<string, object> { ["account"] = new Dictionary<string, object> { ["roles"] = new[] { "not-a-realm-role" } } },
        }));
        Assert.Null(claims.Refusal);
        Assert.Equal(["Orders.Write", "admin", "user"], claims.Roles);
        Assert.Equal(["solo"], BearerTokenRules.ScanClaims(Token(new() { ["roles"] = "solo" })).Roles);
    }

    [Theory]
    [InlineData("nonce")]
    [InlineData("at_hash")]
    [InlineData("c_hash")]
    public void Id_token_claims_refuse_the_token(string claim) =>
        Assert.Equal(OidcRpReasons.IdTokenAsBearer, BearerTokenRules.ScanClaims(Token(new() { [claim] = "x", ["scope"] = "a" })).Refusal);

    [Fact]
    public void Keycloak_id_token_typ_claim_refuses_and_its_access_token_typ_does_not()
    {
        Assert.Equal(OidcRpReasons.IdTokenAsBearer, BearerTokenRules.ScanClaims(Token(new() { ["typ"] = "ID" })).Refusal);
        Assert.Null(BearerTokenRules.ScanClaims(Token(new() { ["typ"] = "Bearer" })).Refusal);
    }

    [Fact]
    public void Cnf_and_reserved_claims_refuse_the_token()
    {
        Assert.Equal(OidcRpReasons.CnfNotSupported, BearerTokenRules.ScanClaims(Token(new() { ["cnf"] = new Dictionary<string, string> { ["jkt"] = "x" } })).Refusal);
        Assert.Equal(OidcRpReasons.ReservedClaim, BearerTokenRules.ScanClaims(Token(new() { ["OIDCRP_provider"] = "alpha" })).Refusal);
    }

    [Fact]
    public void First_missing_requires_every_value()
    {
        Assert.Null(BearerTokenRules.FirstMissing(["a", "b"], ["b", "a", "c"]));
        Assert.Equal("b", BearerTokenRules.FirstMissing(["a", "b"], ["a"]));
    }

    private static HttpRequest Request(Action<HttpRequest> set)
    {
        var context = new DefaultHttpContext();
        set(context.Request);
        return context.Request;
    }

    [Fact]
    public void The_authorization_header_is_read_and_other_schemes_are_no_token()
    {
        var options = new OidcRpBearerOptions();
        Assert.Equal("t1", BearerTokenReader.Read(Request(r => r.Headers.Authorization = "Bearer t1"), options, out var invalid));
        Assert.False(invalid);
        Assert.Equal("t1", BearerTokenReader.Read(Request(r => r.Headers.Authorization = "bearer t1"), options, out _));
        Assert.Null(BearerTokenReader.Read(Request(r => r.Headers.Authorization = "Basic dTpw"), options, out invalid));
        Assert.False(invalid);
        Assert.Null(BearerTokenReader.Read(Request(r => r.Headers["X-Token"] = "t1"), options, out invalid));
        Assert.False(invalid); // other headers are opt-in
    }

    [Fact]
    public void The_query_string_is_read_only_when_enabled()
    {
        var request = Request(r => r.QueryString = new QueryString("?access_token=q1"));
        Assert.Null(BearerTokenReader.Read(request, new OidcRpBearerOptions(), out var invalid));
        Assert.False(invalid);
        Assert.Equal("q1", BearerTokenReader.Read(request, new OidcRpBearerOptions { AllowQueryStringToken = true }, out _));
    }

    [Fact]
    public void A_token_in_two_places_or_an_empty_one_is_invalid()
    {
        var both = new OidcRpBearerOptions { AllowQueryStringToken = true };
        both.TokenHeaders.Add("X-Token");
        Assert.Null(BearerTokenReader.Read(Request(r => { r.Headers.Authorization = "Bearer a"; r.QueryString = new QueryString("?access_token=b"); }), both, out var invalid));
        Assert.True(invalid);
        Assert.Null(BearerTokenReader.Read(Request(r => { r.Headers.Authorization = "Bearer a"; r.Headers["X-Token"] = "b"; }), both, out invalid));
        Assert.True(invalid);
        Assert.Equal("b", BearerTokenReader.Read(Request(r => r.Headers["X-Token"] = "Bearer b"), both, out invalid));
        Assert.False(invalid);
        Assert.Null(BearerTokenReader.Read(Request(r => r.Headers.Authorization = "Bearer  "), both, out invalid));
        Assert.True(invalid);
        Assert.Null(BearerTokenReader.Read(Request(r => r.Headers.Authorization = new Microsoft.Extensions.Primitives.StringValues(["Bearer a", "Bearer b"])), both, out invalid));
        Assert.True(invalid);
    }
}
