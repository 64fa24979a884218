using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Providers;

/// <summary>
/// What one JWKS entry restricts its key to: the <c>alg</c> member (RFC 7517 §4.4; the key verifies that
/// algorithm only, RFC 8725 §3.1) and the <c>issuer</c> member some providers add (Entra ID: the key signs
/// for that issuer only).
/// </summary>
internal sealed record KeyBinding(string? Algorithm, string? Issuer)
{
    /// <summary>The binding a JWKS entry declares, or null when it declares none.</summary>
    public static KeyBinding? From(JsonWebKey jwk)
    {
        var algorithm = string.IsNullOrEmpty(jwk.Alg) ? null : jwk.Alg;
        var issuer = jwk.AdditionalData.TryGetValue("issuer", out var value) && value is string { Length: > 0 } text ? text : null;
        return algorithm is null && issuer is null ? null : new KeyBinding(algorithm, issuer);
    }
}

/// <summary>
/// The bindings of one key set, looked up by key identity. Travels on the snapshot with the keys it
/// describes, so a key and its binding are replaced together by a refresh.
/// </summary>
internal sealed class KeyBindings(IReadOnlyDictionary<SecurityKey, KeyBinding> bindings)
{
    public static KeyBindings None { get; } = new(new Dictionary<SecurityKey, KeyBinding>());

    public KeyBinding? For(SecurityKey key) => bindings.TryGetValue(key, out var binding) ? binding : null;

    /// <summary>True unless the key's JWKS entry named an algorithm other than <paramref name="algorithm"/>.</summary>
    public bool Allows(SecurityKey key, string algorithm) =>
        For(key)?.Algorithm is not { } bound || string.Equals(bound, algorithm, StringComparison.Ordinal);
}
