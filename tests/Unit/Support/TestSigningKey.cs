using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Tests.Unit.Support;

/// <summary>An RSA signing key a test OP publishes and signs with.</summary>
internal sealed class TestSigningKey : IDisposable
{
    private TestSigningKey(string kid, RSA rsa)
    {
        Kid = kid;
        Rsa = rsa;
    }

    public string Kid { get; }

    public RSA Rsa { get; }

    public static TestSigningKey Create(string kid, int bits = 2048) => new(kid, RSA.Create(bits));

    public Dictionary<string, object> ToJwk()
    {
        var p = Rsa.ExportParameters(false);
        return new()
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = Kid,
            ["n"] = Base64UrlEncoder.Encode(p.Modulus),
            ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        };
    }

    public static string Jwks(IEnumerable<TestSigningKey> keys) =>
        JsonSerializer.Serialize(new { keys = keys.Select(k => k.ToJwk()).ToArray() });

    /// <summary>Signs an ID token. <paramref name="kid"/> overrides the header kid; an empty one omits it.</summary>
    public string CreateIdToken(string issuer, string audience, string subject = "alice", string? nonce = null,
        DateTime? expires = null, string? kid = null, IDictionary<string, object>? extraClaims = null, DateTime? notBefore = null)
    {
        var headerKid = kid ?? Kid;
        var key = new RsaSecurityKey(Rsa) { KeyId = headerKid.Length == 0 ? null : headerKid };
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["name"] = subject + " tester" };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }
        foreach (var (name, value) in extraClaims ?? new Dictionary<string, object>())
        {
            claims[name] = value;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = notBefore ?? now,
            NotBefore = notBefore ?? now.AddSeconds(-5),
            Expires = expires ?? now.AddMinutes(5),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose() => Rsa.Dispose();
}
