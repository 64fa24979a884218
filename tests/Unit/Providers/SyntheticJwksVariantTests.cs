using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Providers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Unit.Providers;

/// <summary>
/// Synthetic (labelled) JWKS shapes that the captured real documents lack but real providers publish: keys without
/// <c>use</c>, kids with base64 punctuation, a modulus in padded base64 with a leading zero byte. Each key must be
/// usable under exactly its kid and verify a signature it made.
/// </summary>
public sealed class SyntheticJwksVariantTests
{
    private static Dictionary<string, object> Jwk(TestSigningKey key, Action<Dictionary<string, object>> change)
    {
        var jwk = key.ToJwk();
        change(jwk);
        return jwk;
    }

    private static async Task AssertVerifiesAsync(ParsedKeys keys, TestSigningKey key, string kid)
    {
        var header = new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = kid };
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = key.Sign(header, new Dictionary<string, object?> { ["iss"] = "https://op.example", ["aud"] = "client", ["sub"] = "alice", ["iat"] = now, ["exp"] = now + 60 });
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "https://op.example",
            ValidAudience = "client",
            IssuerSigningKeys = keys.SigningKeys,
        });
        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal("alice", result.ClaimsIdentity.FindFirst("sub")?.Value ?? result.ClaimsIdentity.FindFirst(ClaimTypes.NameIdentifier)?.Value);
    }

    [Fact]
    public async Task Synthetic_a_key_without_use_is_a_signing_key()
    {
        using var key = TestSigningKey.Create("no-use");
        var json = JsonSerializer.Serialize(new { keys = new[] { Jwk(key, j => j.Remove("use")) } });

        var (keys, error) = MetadataParser.ParseJwks(json, maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(["no-use"], keys!.Kids);
        await AssertVerifiesAsync(keys, key, "no-use");
    }

    [Fact]
    public async Task Synthetic_a_key_without_use_or_alg_beside_an_encryption_key_is_the_only_signing_key()
    {
        using var signing = TestSigningKey.Create("bare");
        using var encryption = TestSigningKey.Create("enc");
        var json = JsonSerializer.Serialize(new
        {
            keys = new[] { Jwk(signing, j => { j.Remove("use"); j.Remove("alg"); }), Jwk(encryption, j => { j["use"] = "enc"; j["alg"] = "RSA-OAEP"; }) },
        });

        var (keys, error) = MetadataParser.ParseJwks(json, maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(["bare"], keys!.Kids);
        await AssertVerifiesAsync(keys, signing, "bare");
    }

    [Theory]
    [InlineData("a+b/c=")]
    [InlineData("+/+/==")]
    [InlineData("kid=with=padding==")]
    public async Task Synthetic_kids_with_base64_punctuation_are_kept_exactly(string kid)
    {
        using var key = TestSigningKey.Create(kid);
        using var other = TestSigningKey.Create(kid.Replace('+', '-').Replace('/', '_') + "-other");

        var (keys, error) = MetadataParser.ParseJwks(TestSigningKey.Jwks([key, other]), maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(new[] { kid, other.Kid }.Order(StringComparer.Ordinal), keys!.Kids.Order(StringComparer.Ordinal));
        await AssertVerifiesAsync(keys, key, kid);
    }

    [Fact]
    public async Task Synthetic_a_padded_base64_modulus_with_a_leading_zero_byte_is_the_same_key()
    {
        using var key = TestSigningKey.Create("zero");
        var modulus = key.Rsa.ExportParameters(false).Modulus!;
        // Some publishers write the modulus as a signed big-endian integer (a leading 0x00 when the top bit is set)
        // and keep base64's '=' padding; RFC 7518 §6.3.1.1 and RFC 7515 §2 ask for neither, but the number is the same.
        var padded = Base64UrlEncoder.Encode([0, .. modulus]);
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        Assert.EndsWith("=", padded);
        var json = JsonSerializer.Serialize(new { keys = new[] { Jwk(key, j => j["n"] = padded) } });

        var (keys, error) = MetadataParser.ParseJwks(json, maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(["zero"], keys!.Kids);
        await AssertVerifiesAsync(keys, key, "zero");
    }

    [Fact]
    public void Synthetic_leading_zero_bytes_do_not_make_a_weak_modulus_strong()
    {
        using var weak = TestSigningKey.Create("weak", bits: 1024);
        using var good = TestSigningKey.Create("good");
        var modulus = weak.Rsa.ExportParameters(false).Modulus!;
        // 128 zero bytes in front: 256 bytes on the wire, still a 1024-bit number (RFC 7518 §3.3 asks for 2048).
        var json = JsonSerializer.Serialize(new { keys = new[] { Jwk(weak, j => j["n"] = Base64UrlEncoder.Encode([.. new byte[128], .. modulus])), good.ToJwk() } });

        var (keys, error) = MetadataParser.ParseJwks(json, maxKeys: 32);

        Assert.Null(error);
        Assert.Equal(["good"], keys!.Kids);
    }
}
