using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;

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

    // A loop, not LINQ's Contains with a comparer: this runs for every token and every key tried.
    private static bool Contains(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Before parsing: the size cap.</summary>
    public static string? CheckSize(string token) => token.Length > MaxTokenLength ? OidcRpReasons.TokenTooLarge : null;

    /// <summary>The JOSE header: algorithm, type, critical extensions, embedded keys.</summary>
    public static string? CheckHeader(JsonWebToken jwt, IReadOnlyList<string> allowedAlgorithms)
    {
        var alg = jwt.Alg;
        // "none" in any letter case, HS* (never keyed from a JWKS), anything the provider does not advertise.
        if (string.IsNullOrEmpty(alg) || !Contains(allowedAlgorithms, alg))
        {
            return OidcRpReasons.AlgNotAllowed;
        }
        if (jwt.TryGetHeaderValue<object>(JwtHeaderParameterNames.Typ, out var typ)
            && !(typ is string t && (t.Equals("JWT", StringComparison.OrdinalIgnoreCase) || t.Equals("application/jwt", StringComparison.OrdinalIgnoreCase))))
        {
            return OidcRpReasons.TypNotAllowed; // at+jwt, logout+jwt, secevent+jwt…: other kinds of JWT (RFC 8725 §3.11)
        }
        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return OidcRpReasons.CritUnsupported; // OidcRp understands no JWS extension (RFC 7515 §4.1.11)
        }
        foreach (var name in EmbeddedKeyHeaders)
        {
            if (jwt.TryGetHeaderValue<object>(name, out _))
            {
                return OidcRpReasons.EmbeddedKeyNotAllowed;
            }
        }
        return null;
    }

    /// <summary>
    /// OIDC Core §3.1.3.7 claims the handler's validators leave open: sub (a string of 1–255
    /// characters), iat (a number, not in the future beyond the clock skew), azp (this client when
    /// present, and present when there are several audiences). Read from the raw payload, as
    /// IdentityModel turns a numeric sub into a string: one forward pass of a <see cref="Utf8JsonReader"/>
    /// over the decoded payload (a stack or pooled buffer), so checking costs no second document.
    /// A claim given twice counts with its last value, as <c>JsonDocument</c> reads it.
    /// </summary>
    public static string? CheckClaims(JsonWebToken jwt, string? clientId, TimeSpan clockSkew, DateTimeOffset now)
    {
        var encoded = jwt.EncodedPayload.AsSpan();
        var maxLength = Base64Url.GetMaxDecodedLength(encoded.Length);
        byte[]? rented = null;
        var buffer = maxLength <= StackPayloadBytes ? stackalloc byte[StackPayloadBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxLength));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, buffer, out _, out var written) != OperationStatus.Done)
            {
                return OidcRpReasons.Malformed;
            }
            return ScanClaims(buffer[..written], clientId, (now + clockSkew).ToUnixTimeSeconds());
        }
        catch (JsonException)
        {
            return OidcRpReasons.Malformed;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private const int StackPayloadBytes = 1024;

    private static string? ScanClaims(ReadOnlySpan<byte> json, string? clientId, long latestIssuedAt)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return OidcRpReasons.Malformed;
        }
        bool subValid = false, iatValid = false, azpPresent = false, azpValid = false;
        var audiences = 1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // UTF-8 literals: comparing with a string would transcode it for every property.
            var claim = reader.ValueTextEquals("sub"u8) ? 1
                : reader.ValueTextEquals("iat"u8) ? 2
                : reader.ValueTextEquals("aud"u8) ? 3
                : reader.ValueTextEquals("azp"u8) ? 4 : 0;
            reader.Read();
            switch (claim)
            {
                case 1:
                    subValid = reader.TokenType == JsonTokenType.String && StringLength(ref reader) is > 0 and <= MaxSubjectLength;
                    break;
                case 2:
                    iatValid = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var issuedAt) && issuedAt <= latestIssuedAt;
                    break;
                case 3:
                    audiences = reader.TokenType == JsonTokenType.StartArray ? CountArray(ref reader) : 1;
                    break;
                case 4:
                    azpPresent = true;
                    azpValid = reader.TokenType == JsonTokenType.String && clientId is not null && reader.ValueTextEquals(clientId);
                    break;
            }
            reader.Skip(); // the rest of an object or array value; nothing for a scalar
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return OidcRpReasons.Malformed;
        }
        if (!subValid)
        {
            return OidcRpReasons.SubInvalid;
        }
        if (!iatValid)
        {
            return OidcRpReasons.IatInvalid;
        }
        if (azpPresent ? !azpValid : audiences > 1)
        {
            return OidcRpReasons.AzpInvalid; // several audiences: azp must name this client
        }
        return null;
    }

    private static int StringLength(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped || reader.HasValueSequence ? reader.GetString()!.Length : Encoding.UTF8.GetCharCount(reader.ValueSpan);

    private static int CountArray(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        var count = 0;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            count++;
            reader.Skip();
        }
        return count;
    }
}
