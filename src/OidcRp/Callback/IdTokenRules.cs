using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Callback;

/// <summary>
/// Rules an ID token must meet before any key is looked at (RFC 8725 and OIDC Core §3.1.3.7), checked on
/// the raw header and claims so that a token breaking one never costs a signature check or a JWKS fetch.
/// Each returns a stable audit reason, or null when the token passes.
/// </summary>
internal static class IdTokenRules
{
    /// <summary>Far above any real ID token (Keycloak's are ~1–2 KB, large Entra ones ~10 KB).</summary>
    public const int MaxTokenLength = 64 * 1024;

    public const int MaxSubjectLength = 255;

    // Header parameters that carry or point to a key: never trusted, never fetched (RFC 8725 §3.10).
    private static readonly string[] EmbeddedKeyHeaders = ["jwk", "jku", "x5u", "x5c"];

    // Keys the JWKS bound to one algorithm ("alg" on the JWK), filled when a JWKS is parsed.
    private static readonly ConditionalWeakTable<SecurityKey, string> KeyAlgorithms = new();

    /// <summary>Remembers the algorithm a JWKS entry is bound to.</summary>
    public static void BindAlgorithm(SecurityKey key, string? algorithm)
    {
        if (!string.IsNullOrEmpty(algorithm))
        {
            KeyAlgorithms.AddOrUpdate(key, algorithm);
        }
    }

    /// <summary>An algorithm is allowed for a key when the provider allows it and the key is not bound to another one.</summary>
    public static bool AlgorithmAllowed(string algorithm, SecurityKey key, IReadOnlyList<string> allowed) =>
        allowed.Contains(algorithm, StringComparer.Ordinal)
        && (!KeyAlgorithms.TryGetValue(key, out var bound) || string.Equals(bound, algorithm, StringComparison.Ordinal));

    /// <summary>Before parsing: the size cap.</summary>
    public static string? CheckSize(string token) => token.Length > MaxTokenLength ? "token_too_large" : null;

    /// <summary>The JOSE header: algorithm, type, critical extensions, embedded keys.</summary>
    public static string? CheckHeader(JsonWebToken jwt, IReadOnlyList<string> allowedAlgorithms)
    {
        var alg = jwt.Alg;
        // "none" in any letter case, HS* (never keyed from a JWKS), anything the provider does not advertise.
        if (string.IsNullOrEmpty(alg) || !allowedAlgorithms.Contains(alg, StringComparer.Ordinal))
        {
            return "alg_not_allowed";
        }
        if (jwt.TryGetHeaderValue<object>(JwtHeaderParameterNames.Typ, out var typ)
            && !(typ is string t && (t.Equals("JWT", StringComparison.OrdinalIgnoreCase) || t.Equals("application/jwt", StringComparison.OrdinalIgnoreCase))))
        {
            return "typ_not_allowed"; // at+jwt, logout+jwt, secevent+jwt…: other kinds of JWT (RFC 8725 §3.11)
        }
        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return "crit_unsupported"; // OidcRp understands no JWS extension (RFC 7515 §4.1.11)
        }
        foreach (var name in EmbeddedKeyHeaders)
        {
            if (jwt.TryGetHeaderValue<object>(name, out _))
            {
                return "embedded_key_not_allowed";
            }
        }
        return null;
    }

    /// <summary>OIDC Core §3.1.3.7 claims the handler's validators leave open: sub, iat, azp.</summary>
    public static string? CheckClaims(JsonWebToken jwt, string? clientId, TimeSpan clockSkew, DateTimeOffset now)
    {
        if (!jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Sub, out var sub)
            || sub is not string subject || subject.Length is 0 or > MaxSubjectLength)
        {
            return "sub_invalid";
        }
        if (!jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Iat, out var iat) || !TryNumber(iat, out var issuedAt)
            || DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(issuedAt, 253402300799)) > now + clockSkew)
        {
            return "iat_invalid";
        }
        var audiences = jwt.Audiences.ToList();
        var hasAzp = jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Azp, out var azp);
        if (hasAzp && (azp is not string party || !string.Equals(party, clientId, StringComparison.Ordinal)))
        {
            return "azp_invalid";
        }
        if (audiences.Count > 1 && !hasAzp)
        {
            return "azp_invalid"; // several audiences: azp must name this client
        }
        return null;
    }

    private static bool TryNumber(object? value, out double number)
    {
        switch (value)
        {
            case long l:
                number = l;
                return true;
            case int i:
                number = i;
                return true;
            case double d when double.IsFinite(d):
                number = d;
                return true;
            case JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetDouble(out var n):
                number = n;
                return true;
            default:
                number = 0;
                return false;
        }
    }
}
