using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using OidcRp.Audit;

namespace OidcRp.Bearer;

/// <summary>What one pass over a bearer token's payload found: the shape rules' verdict and the scopes and roles it grants.</summary>
internal sealed class BearerClaims
{
    public string? Refusal { get; set; }

    public List<string> Scopes { get; } = [];

    public List<string> Roles { get; } = [];
}

/// <summary>
/// Rules a bearer access token must meet before any key is looked at, on the raw header and payload, each returning a
/// stable reason or null. RFC 9068 (JWT access tokens), RFC 8725 (JWT best practices), RFC 6750 (bearer usage).
/// </summary>
internal static class BearerTokenRules
{
    // Header parameters that carry or point to a key: never trusted, never fetched (RFC 8725 §3.10).
    private static readonly string[] EmbeddedKeyHeaders = ["jwk", "jku", "x5u", "x5c"];

    /// <summary>The compact form's shape: a JWS has three parts, a JWE five; anything else is not a JWT (an opaque token).</summary>
    public static string? CheckShape(string token)
    {
        var dots = token.AsSpan().Count('.');
        return dots switch
        {
            2 => null,
            4 => OidcRpReasons.JweNotAllowed,
            _ => OidcRpReasons.TokenNotJwt,
        };
    }

    /// <summary>
    /// The JOSE header: the algorithm (never <c>none</c> or <c>HS*</c>: the API shares no secret with the provider), the type
    /// (RFC 9068 §4: <c>at+jwt</c> by default; a token without <c>typ</c> counts as <c>JWT</c>, RFC 7519 §5.1), no
    /// critical extension (RFC 7515 §4.1.11), no embedded or referenced key.
    /// </summary>
    public static string? CheckHeader(JsonWebToken jwt, IReadOnlyList<string> algorithms, IReadOnlyList<string> types)
    {
        var alg = jwt.Alg;
        if (string.IsNullOrEmpty(alg) || alg.StartsWith("HS", StringComparison.OrdinalIgnoreCase) || !Contains(algorithms, alg, StringComparison.Ordinal))
        {
            return OidcRpReasons.AlgNotAllowed;
        }
        var typ = jwt.TryGetHeaderValue<object>(JwtHeaderParameterNames.Typ, out var raw) ? raw as string : "JWT";
        if (typ is null || !Contains(types, NormalizeType(typ), StringComparison.OrdinalIgnoreCase))
        {
            return OidcRpReasons.TypNotAllowed;
        }
        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            return OidcRpReasons.CritUnsupported;
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

    /// <summary>RFC 8725 §3.11 and RFC 7515 §4.1.9: <c>application/at+jwt</c> and <c>at+jwt</c> are the same type.</summary>
    public static string NormalizeType(string typ) =>
        typ.StartsWith("application/", StringComparison.OrdinalIgnoreCase) ? typ["application/".Length..] : typ;

    /// <summary>
    /// One forward pass over the decoded payload. Refuses: an ID token (<c>nonce</c>, <c>at_hash</c>, <c>c_hash</c>: claims
    /// only ID tokens carry, OIDC Core §2 and §3.3.2.11; Keycloak's <c>typ</c> claim <c>ID</c>), a sender-constrained token
    /// (<c>cnf</c>, RFC 7800: DPoP and mTLS binding are not verified here, so accepting one would drop its protection), and a
    /// claim in OidcRp's reserved namespace. Collects the scopes (<c>scope</c> space separated, <c>scp</c> string or array)
    /// and roles (<c>roles</c> string or array, Keycloak's <c>realm_access.roles</c>).
    /// </summary>
    public static BearerClaims ScanClaims(JsonWebToken jwt)
    {
        var result = new BearerClaims();
        var encoded = jwt.EncodedPayload.AsSpan();
        var rented = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(encoded.Length));
        try
        {
            if (Base64Url.DecodeFromChars(encoded, rented, out _, out var written) != OperationStatus.Done)
            {
                result.Refusal = OidcRpReasons.Malformed;
                return result;
            }
            result.Refusal = Scan(rented.AsSpan(0, written), result);
        }
        catch (JsonException)
        {
            result.Refusal = OidcRpReasons.Malformed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        return result;
    }

    private static string? Scan(ReadOnlySpan<byte> json, BearerClaims found)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return OidcRpReasons.Malformed;
        }
        string? refusal = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("nonce"u8) || reader.ValueTextEquals("at_hash"u8) || reader.ValueTextEquals("c_hash"u8))
            {
                refusal ??= OidcRpReasons.IdTokenAsBearer;
                reader.Read();
            }
            else if (reader.ValueTextEquals("typ"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("ID"u8))
                {
                    refusal ??= OidcRpReasons.IdTokenAsBearer; // Keycloak marks its ID tokens so
                }
            }
            else if (reader.ValueTextEquals("cnf"u8))
            {
                refusal ??= OidcRpReasons.CnfNotSupported;
                reader.Read();
            }
            else if (reader.ValueTextEquals("scope"u8) || reader.ValueTextEquals("scp"u8))
            {
                reader.Read();
                ReadStrings(ref reader, found.Scopes, split: true);
            }
            else if (reader.ValueTextEquals("roles"u8))
            {
                reader.Read();
                ReadStrings(ref reader, found.Roles, split: false);
            }
            else if (reader.ValueTextEquals("realm_access"u8))
            {
                reader.Read();
                ReadRealmRoles(ref reader, found.Roles);
            }
            else
            {
                if (IsReserved(ref reader))
                {
                    refusal ??= OidcRpReasons.ReservedClaim;
                }
                reader.Read();
            }
            reader.Skip(); // the rest of an object or array value; nothing for a scalar or one already read
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            return OidcRpReasons.Malformed;
        }
        return refusal;
    }

    private static bool IsReserved(ref Utf8JsonReader reader)
    {
        var prefix = "oidcrp_"u8; // OidcRpClaimTypes.ReservedPrefix, compared ignoring case
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return OidcRpClaimTypes.IsReserved(reader.GetString()!);
        }
        var name = reader.ValueSpan;
        return name.Length >= prefix.Length && System.Text.Ascii.EqualsIgnoreCase(name[..prefix.Length], prefix);
    }

    // Leaves the reader on the value's last token (a string, or the array's end), so the caller's Skip is a no-op.
    private static void ReadStrings(ref Utf8JsonReader reader, List<string> into, bool split)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            Add(into, reader.GetString()!, split);
            return;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                Add(into, reader.GetString()!, split: false);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void ReadRealmRoles(ref Utf8JsonReader reader, List<string> into)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var roles = reader.ValueTextEquals("roles"u8);
            reader.Read();
            if (roles)
            {
                ReadStrings(ref reader, into, split: false);
            }
            reader.Skip();
        }
    }

    private static void Add(List<string> into, string value, bool split)
    {
        if (!split)
        {
            if (value.Length > 0)
            {
                into.Add(value);
            }
            return;
        }
        foreach (var part in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            into.Add(part);
        }
    }

    /// <summary>The first of <paramref name="required"/> missing from <paramref name="granted"/>, or null when all are there.</summary>
    public static string? FirstMissing(IReadOnlyList<string> required, List<string> granted)
    {
        foreach (var value in required)
        {
            if (!granted.Contains(value, StringComparer.Ordinal))
            {
                return value;
            }
        }
        return null;
    }

    private static bool Contains(IReadOnlyList<string> values, string value, StringComparison comparison)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, comparison))
            {
                return true;
            }
        }
        return false;
    }
}
