using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Tests.Support;

/// <summary>An RSA signing key a test OP publishes and signs with.</summary>
public sealed class TestSigningKey : IDisposable
{
    private TestSigningKey(string kid, RSA rsa, string algorithm)
    {
        Kid = kid;
        Rsa = rsa;
        Algorithm = algorithm;
    }

    public string Kid { get; }

    public RSA Rsa { get; }

    /// <summary>The algorithm the JWK names ("alg"), which binds the key to it.</summary>
    public string Algorithm { get; }

    /// <summary>When set, the JWK carries this <c>issuer</c> member (as Entra ID's do): the key signs for that issuer only.</summary>
    public string? IssuerMember { get; set; }

    public static TestSigningKey Create(string kid, int bits = 2048, string algorithm = "RS256") => new(kid, RSA.Create(bits), algorithm);

    public Dictionary<string, object> ToJwk()
    {
        var p = Rsa.ExportParameters(false);
        var jwk = new Dictionary<string, object>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = Algorithm,
            ["kid"] = Kid,
            ["n"] = Base64UrlEncoder.Encode(p.Modulus),
            ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        };
        if (IssuerMember is not null)
        {
            jwk["issuer"] = IssuerMember;
        }
        return jwk;
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

    /// <summary>
    /// A compact JWS with exactly this header and payload, signed by this key with the header's alg
    /// (RS256/384/512, PS256/384/512), unsigned for "none" in any case, or with <paramref name="hmacKey"/> for HS*.
    /// </summary>
    public string Sign(IDictionary<string, object?> header, IDictionary<string, object?> payload, byte[]? hmacKey = null)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value));
        var input = Part(header) + "." + Part(payload);
        var data = System.Text.Encoding.ASCII.GetBytes(input);
        var alg = header.TryGetValue("alg", out var a) ? a as string ?? "" : "";
        byte[] signature = alg switch
        {
            "RS256" => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "RS384" => Rsa.SignData(data, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
            "RS512" => Rsa.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
            "PS256" => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss),
            "PS384" => Rsa.SignData(data, HashAlgorithmName.SHA384, RSASignaturePadding.Pss),
            "PS512" => Rsa.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pss),
            "HS256" => HMACSHA256.HashData(hmacKey ?? [], data),
            "HS384" => HMACSHA384.HashData(hmacKey ?? [], data),
            "HS512" => HMACSHA512.HashData(hmacKey ?? [], data),
            _ => [],
        };
        return input + "." + Base64UrlEncoder.Encode(signature);
    }

    /// <summary>This key's public part as DER (what a key-confusion attack uses as an HMAC secret).</summary>
    public byte[] PublicKeyBytes => Rsa.ExportSubjectPublicKeyInfo();

    public void Dispose() => Rsa.Dispose();
}
