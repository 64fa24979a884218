using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Providers;

namespace OidcRp.Bearer;

/// <summary>
/// Keys from configuration (<see cref="OidcRpBearerProviderOptions.PinnedKeys"/>) made into a snapshot that is never
/// fetched: a JWK (JSON, with its <c>kid</c> and optionally <c>alg</c>, which binds it) or <c>kid:PEM</c> (an RSA or EC
/// public key). Built once per options; a malformed entry is a start-up error (<see cref="TryParse"/> reports it).
/// </summary>
internal static class PinnedKeys
{
    private static readonly string[] DefaultAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    public static ProviderSnapshot Snapshot(OidcProviderOptions provider, BearerSettings settings)
    {
        var keys = new List<SecurityKey>();
        var bindings = new Dictionary<SecurityKey, KeyBinding>();
        foreach (var text in settings.PinnedKeys)
        {
            var (key, binding, error) = TryParse(text);
            if (key is null)
            {
                throw new InvalidOperationException($"OidcRp bearer: a pinned key of provider '{provider.Id}' is not usable: {error}");
            }
            keys.Add(key);
            if (binding is not null)
            {
                bindings[key] = binding;
            }
        }
        var issuer = provider.ExpectedIssuer ?? throw new InvalidOperationException($"OidcRp bearer: provider '{provider.Id}' has pinned keys and needs Issuer or Authority.");
        var kids = keys.Select(k => k.KeyId!).ToFrozenSet(StringComparer.Ordinal);
        var algorithms = provider.SigningAlgorithms.Count > 0 ? [.. provider.SigningAlgorithms] : DefaultAlgorithms;
        return new ProviderSnapshot(new OpenIdConnectConfiguration { Issuer = issuer }, issuer, keys, kids, EveryKeyHasKid: true, algorithms,
            "pinned", new KeyBindings(bindings), DateTimeOffset.MinValue, DateTimeOffset.MinValue, Sequence: 0)
        {
            IssuerRule = IssuerRule.For(provider, issuer),
        };
    }

    /// <summary>One configured key, or the reason it is unusable (never its text: it may be pasted wrongly with a secret).</summary>
    public static (SecurityKey? Key, KeyBinding? Binding, string? Error) TryParse(string text)
    {
        text = text.Trim();
        try
        {
            if (text.StartsWith('{'))
            {
                var jwk = new JsonWebKey(text);
                if (string.IsNullOrEmpty(jwk.Kid))
                {
                    return (null, null, "the JWK has no kid");
                }
                if (jwk.HasPrivateKey || jwk.Kty is not ("RSA" or "EC"))
                {
                    return (null, null, "only public RSA or EC JWKs are accepted");
                }
                return (jwk, KeyBinding.From(jwk), null);
            }
            var colon = text.IndexOf(":-----BEGIN", StringComparison.Ordinal);
            if (colon <= 0)
            {
                return (null, null, "expected a JWK or 'kid:-----BEGIN PUBLIC KEY-----…'");
            }
            var kid = text[..colon];
            var pem = text[(colon + 1)..];
            if (!pem.Contains("BEGIN PUBLIC KEY", StringComparison.Ordinal) && !pem.Contains("BEGIN RSA PUBLIC KEY", StringComparison.Ordinal))
            {
                return (null, null, "only public keys are accepted");
            }
            try
            {
                var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                return (new RsaSecurityKey(rsa) { KeyId = kid }, null, null);
            }
            catch (CryptographicException)
            {
                var ec = ECDsa.Create();
                ec.ImportFromPem(pem);
                return (new ECDsaSecurityKey(ec) { KeyId = kid }, null, null);
            }
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or System.Text.Json.JsonException or FormatException)
        {
            return (null, null, "it does not parse as a JWK or a PEM public key");
        }
    }
}
