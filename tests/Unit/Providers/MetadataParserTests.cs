using OidcRp.Tests.Support;
using OidcRp.Providers;
using OidcRp.Tests.Unit.Support;

namespace OidcRp.Tests.Unit.Providers;

public sealed class MetadataParserTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "keycloak-26", name));

    [Fact]
    public void Keycloak_discovery_parses_when_the_issuer_matches()
    {
        var (configuration, error) = MetadataParser.ParseDiscovery(Fixture("discovery.json"), "http://localhost:8180/realms/sso-realm", requireHttps: false);

        Assert.Null(error);
        Assert.Equal("http://localhost:8180/realms/sso-realm/protocol/openid-connect/certs", configuration!.JwksUri);
        Assert.True(configuration.AuthorizationResponseIssParameterSupported);
    }

    [Fact]
    public void Keycloak_discovery_is_refused_over_http_when_https_is_required()
    {
        var (_, error) = MetadataParser.ParseDiscovery(Fixture("discovery.json"), "http://localhost:8180/realms/sso-realm", requireHttps: true);

        Assert.Equal("discovery_issuer_invalid", error);
    }

    [Theory]
    [InlineData("http://localhost:8180/realms/other")]
    [InlineData("http://localhost:8180/realms/SSO-REALM")]
    public void Discovery_with_another_issuer_is_refused(string expected)
    {
        var (_, error) = MetadataParser.ParseDiscovery(Fixture("discovery.json"), expected, requireHttps: false);

        Assert.Equal("discovery_issuer_mismatch", error);
    }

    [Fact]
    public void Trailing_slash_of_the_configured_authority_is_tolerated()
    {
        var (_, error) = MetadataParser.ParseDiscovery(Fixture("discovery.json"), "http://localhost:8180/realms/sso-realm/", requireHttps: false);

        Assert.Null(error);
    }

    [Theory]
    [InlineData("{}", "discovery_issuer_missing")]
    [InlineData("not json", "discovery_invalid_json")]
    [InlineData("""{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"http://op.example/t","jwks_uri":"https://op.example/k"}""", "discovery_endpoint_invalid")]
    [InlineData("""{"issuer":"https://op.example","authorization_endpoint":"https://op.example/a","token_endpoint":"https://op.example/t"}""", "discovery_endpoint_invalid")]
    public void Broken_discovery_documents_get_stable_codes(string json, string code)
    {
        var (_, error) = MetadataParser.ParseDiscovery(json, "https://op.example", requireHttps: true);

        Assert.Equal(code, error);
    }

    [Fact]
    public void Keycloak_jwks_keeps_the_signing_key_and_ignores_the_encryption_key()
    {
        var (keys, error) = MetadataParser.ParseJwks(Fixture("jwks.json"), maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(["hAg04UyU4mu1YKj6CZUYjMP31O5wgaXQKYUU2OgvjsE"], keys!.Kids);
        Assert.Single(keys.SigningKeys);
        Assert.True(keys.EveryKeyHasKid);
        Assert.Equal(16, keys.Fingerprint.Length);
    }

    [Fact]
    public void Unparseable_and_weak_keys_are_skipped_not_fatal()
    {
        using var good = TestSigningKey.Create("good");
        using var weak = TestSigningKey.Create("weak", bits: 1024);
        var broken = new Dictionary<string, object> { ["kty"] = "RSA", ["kid"] = "broken", ["n"] = "!!!", ["e"] = "AQAB" };
        var symmetric = new Dictionary<string, object> { ["kty"] = "oct", ["kid"] = "hmac", ["k"] = "c2VjcmV0" };
        var json = System.Text.Json.JsonSerializer.Serialize(new { keys = new object[] { broken, symmetric, weak.ToJwk(), good.ToJwk() } });

        var (keys, error) = MetadataParser.ParseJwks(json, maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(["good"], keys!.Kids);
    }

    [Theory]
    [InlineData("""{"keys":[]}""", "jwks_no_signing_key")]
    [InlineData("""{"keys":[{"kty":"RSA","use":"enc","kid":"e","n":"AQAB","e":"AQAB"}]}""", "jwks_no_signing_key")]
    [InlineData("[1,2", "jwks_invalid_json")]
    public void Jwks_without_a_usable_signing_key_is_refused(string json, string code)
    {
        var (_, error) = MetadataParser.ParseJwks(json, maxKeys: 32);

        Assert.Equal(code, error);
    }

    [Fact]
    public void Jwks_over_the_key_cap_is_refused()
    {
        var keys = Enumerable.Range(0, 5).Select(i => TestSigningKey.Create("k" + i)).ToList();

        var (_, error) = MetadataParser.ParseJwks(TestSigningKey.Jwks(keys), maxKeys: 4);

        Assert.Equal("jwks_too_many_keys", error);
        keys.ForEach(k => k.Dispose());
    }

    [Fact]
    public void Fingerprint_changes_with_the_key_set_and_only_then()
    {
        using var a = TestSigningKey.Create("a");
        using var b = TestSigningKey.Create("b");

        var one = MetadataParser.ParseJwks(TestSigningKey.Jwks([a]), 32).Keys!.Fingerprint;
        var same = MetadataParser.ParseJwks(TestSigningKey.Jwks([a]), 32).Keys!.Fingerprint;
        var two = MetadataParser.ParseJwks(TestSigningKey.Jwks([a, b]), 32).Keys!.Fingerprint;
        var reordered = MetadataParser.ParseJwks(TestSigningKey.Jwks([b, a]), 32).Keys!.Fingerprint;

        Assert.Equal(one, same);
        Assert.NotEqual(one, two);
        Assert.Equal(two, reordered);
    }
}
