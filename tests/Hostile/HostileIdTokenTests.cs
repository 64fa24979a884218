using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// ID tokens shaped like the attacks that broke other JWT and OIDC libraries, returned by the test OP's
/// token endpoint after a genuine code flow through the real pipeline. Each must fail with a generic
/// error page, the right audit category and reason, no JWKS fetch beyond the first load, no fetch of a
/// URL the token names, and none of its secrets in anything OidcRp wrote.
/// </summary>
public sealed class HostileIdTokenTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _op.AdvertisedAlgorithms = ["RS256", "PS256"];
        _rp = await RpApp.StartAsync([_op.As("alpha")]);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    private sealed record Case(Func<IdTokenRequest, TestOp, string> Token, string Category, string Reason);

    private static string Sign(IdTokenRequest r, Action<Dictionary<string, object?>>? header = null, Action<Dictionary<string, object?>>? claims = null,
        byte[]? hmacKey = null)
    {
        var h = r.Header();
        header?.Invoke(h);
        var c = r.Claims();
        claims?.Invoke(c);
        return r.Signing.Sign(h, c, hmacKey);
    }

    // A key the OP never had, under the OP's own kid.
    private static readonly TestSigningKey Other = TestSigningKey.Create("op-key-1");

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Algorithm confusion and "none" (CVE-2015-9235 and relatives).
        ["alg none"] = new((r, _) => Sign(r, h => h["alg"] = "none"), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg NONE"] = new((r, _) => Sign(r, h => h["alg"] = "NONE"), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg nOnE"] = new((r, _) => Sign(r, h => h["alg"] = "nOnE"), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg none without kid"] = new((r, _) => Sign(r, h => { h["alg"] = "none"; h.Remove("kid"); }), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg missing"] = new((r, _) => Sign(r, h => h.Remove("alg")), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg HS256 keyed with the client secret"] = new((r, _) => Sign(r, h => h["alg"] = "HS256", hmacKey: System.Text.Encoding.UTF8.GetBytes(TestOp.ClientSecret)),
            OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg HS256 keyed with the RSA public key"] = new((r, _) => Sign(r, h => h["alg"] = "HS256", hmacKey: r.Signing.PublicKeyBytes),
            OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg HS256 with an unknown kid (no refresh)"] = new((r, _) => Sign(r, h => { h["alg"] = "HS256"; h["kid"] = "attacker-kid"; }, hmacKey: new byte[32]),
            OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg RS384 not advertised"] = new((r, _) => Sign(r, h => h["alg"] = "RS384"), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg PS256 with a key bound to RS256"] = new((r, _) => Sign(r, h => h["alg"] = "PS256"), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),
        ["alg ES256 not advertised"] = new((r, _) => Sign(r, h => h["alg"] = "ES256"), OidcAuditCategories.IdTokenInvalid, "alg_not_allowed"),

        // Other kinds of JWT presented as an ID token (RFC 8725 §3.11), and unknown critical extensions.
        ["typ at+jwt"] = new((r, _) => Sign(r, h => h["typ"] = "at+jwt"), OidcAuditCategories.IdTokenInvalid, "typ_not_allowed"),
        ["typ application/at+jwt"] = new((r, _) => Sign(r, h => h["typ"] = "application/at+jwt"), OidcAuditCategories.IdTokenInvalid, "typ_not_allowed"),
        ["typ logout+jwt"] = new((r, _) => Sign(r, h => h["typ"] = "logout+jwt"), OidcAuditCategories.IdTokenInvalid, "typ_not_allowed"),
        ["typ secevent+jwt"] = new((r, _) => Sign(r, h => h["typ"] = "secevent+jwt"), OidcAuditCategories.IdTokenInvalid, "typ_not_allowed"),
        ["typ as a number"] = new((r, _) => Sign(r, h => h["typ"] = 1), OidcAuditCategories.IdTokenInvalid, "malformed"), // IdentityModel refuses to read it
        ["crit exp"] = new((r, _) => Sign(r, h => h["crit"] = new[] { "exp" }), OidcAuditCategories.IdTokenInvalid, "crit_unsupported"),
        ["crit b64 (unencoded payload)"] = new((r, _) => Sign(r, h => { h["crit"] = new[] { "b64" }; h["b64"] = false; }), OidcAuditCategories.IdTokenInvalid, "crit_unsupported"),

        // Keys carried or pointed to by the token itself (RFC 8725 §3.10): never trusted, never fetched.
        ["jwk header with the attacker's key"] = new((r, _) => Sign(r, h => { h["kid"] = "attacker"; h["jwk"] = new { kty = "RSA", n = "AQAB", e = "AQAB", kid = "attacker" }; }),
            OidcAuditCategories.IdTokenInvalid, "embedded_key_not_allowed"),
        ["jku header pointing at the attacker"] = new((r, op) => Sign(r, h => { h["kid"] = "attacker"; h["jku"] = op.EvilUrl; }), OidcAuditCategories.IdTokenInvalid, "embedded_key_not_allowed"),
        ["x5u header pointing at the attacker"] = new((r, op) => Sign(r, h => { h["kid"] = "attacker"; h["x5u"] = op.EvilUrl; }), OidcAuditCategories.IdTokenInvalid, "embedded_key_not_allowed"),
        ["x5c header with a certificate"] = new((r, _) => Sign(r, h => h["x5c"] = new[] { "MIIB" }), OidcAuditCategories.IdTokenInvalid, "embedded_key_not_allowed"),
        ["jku with the OP's own kid"] = new((r, op) => Sign(r, h => h["jku"] = op.EvilUrl), OidcAuditCategories.IdTokenInvalid, "embedded_key_not_allowed"),

        // Formats other than a compact JWS.
        ["JWE (five parts)"] = new((_, _) => "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.AAAA.AAAA.AAAA", OidcAuditCategories.IdTokenInvalid, "jwe_not_allowed"),
        ["JSON-serialised JWS"] = new((r, _) => JsonSerializer.Serialize(new { payload = "e30", signatures = new[] { new { @protected = "eyJhbGciOiJSUzI1NiJ9", signature = "AAAA" } } }),
            OidcAuditCategories.IdTokenInvalid, "malformed"),
        ["two parts only"] = new((r, _) => string.Join('.', Sign(r).Split('.').Take(2)), OidcAuditCategories.IdTokenInvalid, "malformed"),
        ["header not JSON"] = new((r, _) => "bm90LWpzb24." + Sign(r).Split('.')[1] + ".AAAA", OidcAuditCategories.IdTokenInvalid, "malformed"),
        ["payload not JSON"] = new((r, _) => Sign(r).Split('.')[0] + ".bm90LWpzb24.AAAA", OidcAuditCategories.IdTokenInvalid, "malformed"),
        ["token of 100 KB"] = new((r, _) => Sign(r, claims: c => c["pad"] = new string('a', 100 * 1024)), OidcAuditCategories.IdTokenInvalid, "token_too_large"),
        ["claims nested 40 deep"] = new((r, _) => Sign(r, claims: c => c["deep"] = Nested(40)), OidcAuditCategories.IdTokenInvalid, "malformed"),

        // Malformed kids: refused before any refresh.
        ["kid with a NUL"] = new((r, _) => Sign(r, h => h["kid"] = "op-key-1\0"), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid with CR LF"] = new((r, _) => Sign(r, h => h["kid"] = "a\r\nSet-Cookie: x=y"), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid with SQL"] = new((r, _) => Sign(r, h => h["kid"] = "x' UNION SELECT key FROM keys; --"), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid with a backslash"] = new((r, _) => Sign(r, h => h["kid"] = "a\\b"), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid with markup"] = new((r, _) => Sign(r, h => h["kid"] = "<script>alert(1)</script>"), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid of 257 characters"] = new((r, _) => Sign(r, h => h["kid"] = new string('k', 257)), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid empty"] = new((r, _) => Sign(r, h => h["kid"] = ""), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),
        ["kid as a number"] = new((r, _) => Sign(r, h => h["kid"] = 42), OidcAuditCategories.IdTokenInvalid, "malformed"), // IdentityModel refuses to read it
        ["kid non-ASCII"] = new((r, _) => Sign(r, h => h["kid"] = "clé"), OidcAuditCategories.IdTokenInvalid, "kid_malformed"),

        // Claims (OIDC Core §3.1.3.7).
        ["iss of another issuer"] = new((r, _) => Sign(r, claims: c => c["iss"] = "https://evil.example"), OidcAuditCategories.IdTokenInvalid, "issuer"),
        ["iss missing"] = new((r, _) => Sign(r, claims: c => c.Remove("iss")), OidcAuditCategories.IdTokenInvalid, "issuer"),
        ["aud of another client"] = new((r, _) => Sign(r, claims: c => c["aud"] = "another-client"), OidcAuditCategories.IdTokenInvalid, "audience"),
        ["aud missing"] = new((r, _) => Sign(r, claims: c => c.Remove("aud")), OidcAuditCategories.IdTokenInvalid, "audience"),
        ["aud with two clients and no azp"] = new((r, _) => Sign(r, claims: c => c["aud"] = new[] { r.ClientId, "another-client" }), OidcAuditCategories.IdTokenInvalid, "azp_invalid"),
        ["azp of another client"] = new((r, _) => Sign(r, claims: c => c["azp"] = "another-client"), OidcAuditCategories.IdTokenInvalid, "azp_invalid"),
        ["azp with two audiences naming another client"] = new((r, _) => Sign(r, claims: c => { c["aud"] = new[] { r.ClientId, "x" }; c["azp"] = "x"; }), OidcAuditCategories.IdTokenInvalid, "azp_invalid"),
        ["sub missing"] = new((r, _) => Sign(r, claims: c => c.Remove("sub")), OidcAuditCategories.IdTokenInvalid, "sub_invalid"),
        ["sub empty"] = new((r, _) => Sign(r, claims: c => c["sub"] = ""), OidcAuditCategories.IdTokenInvalid, "sub_invalid"),
        ["sub of 256 characters"] = new((r, _) => Sign(r, claims: c => c["sub"] = new string('s', 256)), OidcAuditCategories.IdTokenInvalid, "sub_invalid"),
        ["sub as a number"] = new((r, _) => Sign(r, claims: c => c["sub"] = 12345), OidcAuditCategories.IdTokenInvalid, "sub_invalid"),
        ["iat missing"] = new((r, _) => Sign(r, claims: c => c.Remove("iat")), OidcAuditCategories.IdTokenInvalid, "iat_invalid"),
        ["iat an hour ahead"] = new((r, _) => Sign(r, claims: c => c["iat"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()), OidcAuditCategories.IdTokenInvalid, "iat_invalid"),
        ["iat as text"] = new((r, _) => Sign(r, claims: c => c["iat"] = "yesterday"), OidcAuditCategories.IdTokenInvalid, "malformed"), // IdentityModel refuses to read it
        ["iat as a numeric string"] = new((r, _) => Sign(r, claims: c => c["iat"] = "1700000000"), OidcAuditCategories.IdTokenInvalid, "iat_invalid"),
        ["exp missing"] = new((r, _) => Sign(r, claims: c => c.Remove("exp")), OidcAuditCategories.IdTokenInvalid, "no_expiration"),
        ["exp passed"] = new((r, _) => Sign(r, claims: c => { c["exp"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(); c["iat"] = DateTimeOffset.UtcNow.AddMinutes(-20).ToUnixTimeSeconds(); c["nbf"] = c["iat"]; }),
            OidcAuditCategories.IdTokenInvalid, "expired"),
        ["nbf an hour ahead"] = new((r, _) => Sign(r, claims: c => { c["nbf"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(); c["exp"] = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds(); }),
            OidcAuditCategories.IdTokenInvalid, "not_yet_valid"),
        ["nbf after exp"] = new((r, _) => Sign(r, claims: c => c["nbf"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()), OidcAuditCategories.IdTokenInvalid, "lifetime"),
        ["nonce missing"] = new((r, _) => Sign(r, claims: c => c.Remove("nonce")), OidcAuditCategories.IdTokenInvalid, "nonce"),
        ["nonce of another login"] = new((r, _) => Sign(r, claims: c => c["nonce"] = "another-login-nonce"), OidcAuditCategories.IdTokenInvalid, "nonce"),

        // Signatures.
        ["signature of another payload"] = new((r, _) => Tamper(Sign(r)), OidcAuditCategories.IdTokenInvalid, "signature_invalid"),
        ["signature empty"] = new((r, _) => string.Join('.', Sign(r).Split('.').Take(2)) + ".", OidcAuditCategories.IdTokenInvalid, "signature_invalid"),
        ["signature by another key under the OP's kid"] = new((r, _) => Other.Sign(r.Header(), r.Claims()), OidcAuditCategories.IdTokenInvalid, "signature_invalid"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Hostile_id_token_fails_safely(string name)
    {
        var hostile = Cases[name];
        string? token = null;
        _op.IdTokenFactory = r => token = hostile.Token(r, _op);
        using var browser = _rp.Browser();

        using var response = await browser.LoginAsync("alpha");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Sign-in failed", body, StringComparison.Ordinal);
        var row = Assert.Single(_rp.Audit.Rows);
        Assert.Equal((hostile.Category, hostile.Reason, OidcAuditOutcomes.Failure, false), (row.Category, row.Reason, row.Outcome, row.KeysRefreshed));
        Assert.Equal(1, _op.Count("jwks")); // the first load only: no hostile token makes the OP serve its JWKS again
        Assert.Equal(0, _op.EvilFetches);
        Assert.Equal(1, _op.Count("token"));
        Assert.NotNull(token);
        Assert.Null(response.Headers.Location);
        ScanForSecrets(browser, response, [token!, .. _op.Secrets.Where(s => s.Length >= 8), TestOp.ClientSecret]);
    }

    [Fact]
    public async Task The_proper_token_of_the_same_factory_signs_in()
    {
        // The control case: the token builder itself makes tokens OidcRp accepts.
        _op.IdTokenFactory = r => Sign(r);
        using var browser = _rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, Assert.Single(_rp.Audit.Rows).Category);
    }

    [Fact]
    public async Task A_key_bound_to_PS256_verifies_PS256_and_nothing_else()
    {
        _op.Signing = TestSigningKey.Create("ps-key", algorithm: "PS256");
        _op.Published.Clear();
        _op.Published.Add(_op.Signing);
        using (var good = _rp.Browser())
        {
            _op.IdTokenFactory = r => Sign(r, h => h["alg"] = "PS256");
            using var response = await good.LoginAsync("alpha");
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        }
        using (var bad = _rp.Browser())
        {
            _op.IdTokenFactory = r => Sign(r);
            using var response = await bad.LoginAsync("alpha");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal([(OidcAuditCategories.LoginSucceeded, (string?)null), (OidcAuditCategories.IdTokenInvalid, "alg_not_allowed")],
            _rp.Audit.Rows.Select(r => (r.Category, r.Reason)));
    }

    private void ScanForSecrets(BrowserClient browser, HttpResponseMessage response, IReadOnlyList<string> secrets) =>
        Sentinels.AssertNoneOf(secrets, Sentinels.Written(_rp, browser, response));

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, object?>>(Base64UrlEncoder.Decode(parts[1]))!;
        payload["sub"] = "admin";
        return parts[0] + "." + Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload)) + "." + parts[2];
    }

    private static object Nested(int depth) => depth == 0 ? "x" : new Dictionary<string, object> { ["a"] = Nested(depth - 1) };
}
