using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;

namespace OidcRp.Providers;

/// <summary>The usable signing keys of one JWKS, with what each JWKS entry bound it to.</summary>
internal sealed record ParsedKeys(
    JsonWebKeySet KeySet,
    IReadOnlyList<SecurityKey> SigningKeys,
    FrozenSet<string> Kids,
    bool EveryKeyHasKid,
    string Fingerprint,
    KeyBindings Bindings);

/// <summary>
/// Turns fetched discovery and JWKS documents into validated data, or a stable error code.
/// Nothing here trusts the documents: issuer, endpoints, key use and key strength are checked.
/// </summary>
internal static class MetadataParser
{
    private static readonly FrozenSet<string> AsymmetricAlgorithms = FrozenSet.ToFrozenSet(
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ], StringComparer.Ordinal);

    /// <summary>
    /// Whether the body is JSON at all (a captive portal's HTML, a truncated answer): told apart from JSON of the
    /// wrong shape (<c>_malformed</c>) here rather than from the wording of IdentityModel's exceptions.
    /// </summary>
    private static bool IsWellFormedJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Parses and checks a discovery document whose issuer must be exactly <paramref name="expectedIssuer"/> (when set).</summary>
    public static (OpenIdConnectConfiguration? Configuration, string? ErrorCode) ParseDiscovery(
        string json, string? expectedIssuer, bool requireHttps) =>
        ParseDiscovery(json, expectedIssuer is null ? null : IssuerExpectation.Exact(expectedIssuer), requireHttps);

    /// <summary>Parses and checks a discovery document (OIDC Discovery §3, §4.3).</summary>
    public static (OpenIdConnectConfiguration? Configuration, string? ErrorCode) ParseDiscovery(
        string json, IssuerExpectation? expected, bool requireHttps)
    {
        if (!IsWellFormedJson(json))
        {
            return (null, OidcRpReasons.DiscoveryPrefix + FetchFailures.InvalidJson);
        }
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = OpenIdConnectConfiguration.Create(json);
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException or FormatException)
        {
            return (null, OidcRpReasons.DiscoveryMalformed);
        }

        if (string.IsNullOrEmpty(configuration.Issuer))
        {
            return (null, OidcRpReasons.DiscoveryIssuerMissing);
        }
        // §4.3: the issuer in the document MUST be identical to the one the document was looked up with
        // (Entra ID's templates and tenant issuers as IssuerExpectation lists them).
        if (expected is not null && !expected.Accepts(configuration.Issuer))
        {
            return (null, OidcRpReasons.DiscoveryIssuerMismatch);
        }
        if (!IsEndpoint(configuration.Issuer, requireHttps))
        {
            return (null, OidcRpReasons.DiscoveryIssuerInvalid);
        }
        if (!IsEndpoint(configuration.AuthorizationEndpoint, requireHttps)
            || !IsEndpoint(configuration.TokenEndpoint, requireHttps)
            || !IsEndpoint(configuration.JwksUri, requireHttps)
            || (configuration.EndSessionEndpoint is { Length: > 0 } end && !IsEndpoint(end, requireHttps))
            // Endpoints that receive the client secret or an access token: the same rule.
            || (configuration.UserInfoEndpoint is { Length: > 0 } userInfo && !IsEndpoint(userInfo, requireHttps))
            || (configuration.PushedAuthorizationRequestEndpoint is { Length: > 0 } par && !IsEndpoint(par, requireHttps)))
        {
            return (null, OidcRpReasons.DiscoveryEndpointInvalid);
        }
        return (configuration, null);
    }

    /// <summary>Parses a JWKS, keeping only usable signing keys (RFC 7517 §4.2 <c>use</c>, RFC 8725 §3.5).</summary>
    public static (ParsedKeys? Keys, string? ErrorCode) ParseJwks(string json, int maxKeys)
    {
        if (!IsWellFormedJson(json))
        {
            return (null, OidcRpReasons.JwksPrefix + FetchFailures.InvalidJson);
        }
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json) { SkipUnresolvedJsonWebKeys = true };
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException or FormatException)
        {
            return (null, OidcRpReasons.JwksMalformed);
        }
        if (set.Keys.Count > maxKeys)
        {
            return (null, OidcRpReasons.JwksTooManyKeys);
        }

        var usable = new List<SecurityKey>();
        var sources = new List<JsonWebKey>();
        var bindings = new Dictionary<SecurityKey, KeyBinding>(ReferenceEqualityComparer.Instance);
        foreach (var jwk in set.Keys)
        {
            if (!string.IsNullOrEmpty(jwk.Use) && !string.Equals(jwk.Use, JsonWebKeyUseNames.Sig, StringComparison.Ordinal))
            {
                continue; // encryption keys (use: enc) never verify a signature
            }
            if (jwk.Kty is not (JsonWebAlgorithmsKeyTypes.RSA or JsonWebAlgorithmsKeyTypes.EllipticCurve))
            {
                continue; // symmetric or unknown key types are never trusted from a JWKS
            }
            var key = TryConvert(jwk);
            if (key is null)
            {
                continue; // an unparseable key is skipped, not fatal: the rest of the set still works
            }
            if (KeyBinding.From(jwk) is { } binding)
            {
                bindings[key] = binding;
            }
            usable.Add(key);
            sources.Add(jwk);
        }
        if (usable.Count == 0)
        {
            return (null, OidcRpReasons.JwksNoSigningKey);
        }

        var kids = sources.Where(k => !string.IsNullOrEmpty(k.Kid)).Select(k => k.Kid).ToFrozenSet(StringComparer.Ordinal);
        var everyKeyHasKid = sources.TrueForAll(k => !string.IsNullOrEmpty(k.Kid));
        return (new ParsedKeys(set, usable, kids, everyKeyHasKid, Fingerprint(sources), new KeyBindings(bindings)), null);
    }

    /// <summary>HMAC algorithms: only by explicit opt-in per provider, keyed with the client secret only.</summary>
    internal static readonly FrozenDictionary<string, int> SymmetricAlgorithmKeyBytes = new Dictionary<string, int>
    {
        [SecurityAlgorithms.HmacSha256] = 32, [SecurityAlgorithms.HmacSha384] = 48, [SecurityAlgorithms.HmacSha512] = 64,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    internal static bool IsKnownAsymmetric(string algorithm) => AsymmetricAlgorithms.Contains(algorithm);

    /// <summary>
    /// Algorithms an ID token may use: the provider's own list when configured (RFC 8725 §3.1 allow-list),
    /// otherwise the asymmetric ones the provider advertises (RS256 when it advertises none).
    /// </summary>
    public static IReadOnlyList<string> ValidAlgorithms(OpenIdConnectConfiguration configuration, IList<string>? configured = null)
    {
        if (configured is { Count: > 0 })
        {
            return [.. configured.Distinct(StringComparer.Ordinal)];
        }
        var advertised = configuration.IdTokenSigningAlgValuesSupported.Where(AsymmetricAlgorithms.Contains).ToList();
        return advertised.Count > 0 ? advertised : [SecurityAlgorithms.RsaSha256];
    }

    internal static bool IssuersEqual(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.Ordinal);

    private static bool IsEndpoint(string? value, bool requireHttps) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (!requireHttps && uri.Scheme == Uri.UriSchemeHttp));

    private static SecurityKey? TryConvert(JsonWebKey jwk)
    {
        try
        {
            if (jwk.Kty == JsonWebAlgorithmsKeyTypes.RSA)
            {
                if (string.IsNullOrEmpty(jwk.N) || string.IsNullOrEmpty(jwk.E))
                {
                    return null;
                }
                // Leading zero bytes (a signed big-endian encoding) add no bits: measure and keep the number itself,
                // so zero padding cannot pass a weak modulus off as a 2048-bit one.
                var modulus = Base64UrlEncoder.DecodeBytes(jwk.N);
                var first = modulus.AsSpan().IndexOfAnyExcept((byte)0);
                var parameters = new RSAParameters { Modulus = first < 0 ? [] : modulus[first..], Exponent = Base64UrlEncoder.DecodeBytes(jwk.E) };
                if (parameters.Modulus.Length * 8 < 2048)
                {
                    return null; // RFC 7518 §3.3: RSA keys of 2048 bits or more
                }
                return new RsaSecurityKey(parameters) { KeyId = jwk.Kid };
            }
            if (string.IsNullOrEmpty(jwk.X) || string.IsNullOrEmpty(jwk.Y) || string.IsNullOrEmpty(jwk.Crv))
            {
                return null;
            }
            // The JsonWebKey itself is a usable ECDSA key for IdentityModel once its coordinates decode.
            _ = Base64UrlEncoder.DecodeBytes(jwk.X);
            _ = Base64UrlEncoder.DecodeBytes(jwk.Y);
            return jwk.Crv is "P-256" or "P-384" or "P-521" ? jwk : null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or CryptographicException)
        {
            return null;
        }
    }

    private static string Fingerprint(List<JsonWebKey> keys)
    {
        var text = new StringBuilder();
        foreach (var key in keys.OrderBy(k => k.Kid, StringComparer.Ordinal))
        {
            text.Append(key.Kid).Append(':').Append(Base64UrlEncoder.Encode(key.ComputeJwkThumbprint())).Append(';');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
