using Microsoft.AspNetCore.Authentication;

namespace OidcRp;

/// <summary>Names used by <c>AddOidcRpBearer</c>.</summary>
public static class OidcRpBearerDefaults
{
    /// <summary>The default scheme name, as <c>AddJwtBearer</c>'s: <c>Bearer</c>.</summary>
    public const string AuthenticationScheme = "Bearer";

    /// <summary>The configuration section <c>AddOidcRpBearer(configuration)</c> is usually given: <c>OidcRp:Bearer</c>.</summary>
    public const string ConfigurationSection = "OidcRp:Bearer";

    /// <summary>
    /// The claim type of each granted scope, added by the bearer handler (issuer <see cref="OidcRpClaimTypes.Issuer"/>) from the
    /// token's <c>scope</c> (space separated, RFC 9068 §2.2.3) or <c>scp</c> (a string or an array, Entra ID).
    /// </summary>
    public const string ScopeClaimType = "oidcrp_scope";

    /// <summary>
    /// The claim type of each role, added by the bearer handler from the token's <c>roles</c> (RFC 9068 §2.2.3.1, Entra ID)
    /// and Keycloak's <c>realm_access.roles</c>; it is the identity's role claim type, so <c>IsInRole</c> reads it.
    /// </summary>
    public const string RoleClaimType = "oidcrp_role";

    /// <summary>RFC 9068 §2.1's media type of a JWT access token, the default accepted <c>typ</c>.</summary>
    public const string AccessTokenType = "at+jwt";
}

/// <summary>
/// Options of the bearer scheme (<c>AddOidcRpBearer</c>): which registered providers' JWT access tokens an API accepts and
/// what it requires of them. Settings here apply to every accepted provider; <see cref="Providers"/> narrows the list and
/// overrides them per provider. Tokens are validated with the same registry, key snapshots and kid-miss rule (the bearer
/// path's own budget, <see cref="OidcKeyPolicyOptions.BearerKidMissBudget"/>) as the login. Opaque tokens, token
/// introspection (RFC 7662) and sender-constrained tokens (DPoP, mTLS: <c>cnf</c>) are out of scope and refused.
/// </summary>
public sealed class OidcRpBearerOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// The providers whose tokens are accepted, keyed by provider id, each with optional overrides. Empty (the default):
    /// every provider of <see cref="OidcRpOptions.Providers"/>, with the settings below. An id that names no provider is
    /// refused at start-up.
    /// </summary>
    public IDictionary<string, OidcRpBearerProviderOptions> Providers { get; } =
        new Dictionary<string, OidcRpBearerProviderOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The audiences of this API (the token's <c>aud</c> must hold one; RFC 9068 §4). Required, here or on every accepted
    /// provider: a configuration without one is refused at start-up, since a token of any other API of the same provider
    /// would otherwise be accepted. When one provider is registered several times (several clients of one OP), the token's
    /// audience also chooses the registration.
    /// </summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>
    /// Scopes every token must hold, all of them (read from <c>scope</c>, space separated, and <c>scp</c>, a string or an
    /// array). A valid token lacking one is answered <c>403</c> with <c>error="insufficient_scope"</c> (RFC 6750 §3.1).
    /// For per-endpoint scopes use <c>RequireOidcRpScope</c> on an authorization policy.
    /// </summary>
    public IList<string> RequiredScopes { get; } = [];

    /// <summary>
    /// Roles every token must hold, all of them (read from <c>roles</c> and Keycloak's <c>realm_access.roles</c>); answered
    /// like <see cref="RequiredScopes"/>. For per-endpoint roles use <c>RequireOidcRpRole</c>.
    /// </summary>
    public IList<string> RequiredRoles { get; } = [];

    /// <summary>
    /// The accepted JOSE <c>typ</c> values, compared ignoring case and an <c>application/</c> prefix (RFC 8725 §3.11).
    /// Empty (the default): <c>at+jwt</c> only (RFC 9068 §2.1), which also refuses ID tokens by their type. Keycloak and
    /// others issue access tokens typed <c>JWT</c>: list <c>JWT</c> for them (ID tokens are then told apart by their
    /// claims: docs/bearer.md).
    /// </summary>
    public IList<string> TokenTypes { get; } = [];

    /// <summary>
    /// The accepted signing algorithms. Empty (the default): the provider's own (its <c>SigningAlgorithms</c>, or the
    /// asymmetric ones its discovery document advertises). Symmetric algorithms (<c>HS*</c>) are never accepted for
    /// bearer tokens: the only shared key is the client secret, which the API does not share with other clients.
    /// </summary>
    public IList<string> Algorithms { get; } = [];

    /// <summary>Tolerated clock difference for <c>exp</c>, <c>nbf</c> and <c>iat</c>. Default 1 minute.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Request headers read besides <c>Authorization</c>, for gateways and clients that cannot set it (each value is the
    /// token alone, or <c>Bearer</c> and the token). Empty (the default): the <c>Authorization: Bearer</c> header only
    /// (RFC 6750 §2.1). A request that carries a token in more than one place is refused (RFC 6750 §2).
    /// </summary>
    public IList<string> TokenHeaders { get; } = [];

    /// <summary>
    /// Whether to read the token from the <c>access_token</c> query parameter (RFC 6750 §2.3). Default false, and keep it
    /// so unless a client truly cannot send headers (a WebSocket or EventSource from a browser): URLs are written to access
    /// logs, browser history and <c>Referer</c> headers, so a token in the query string leaks to whoever reads them
    /// (RFC 6750 §5.3). Form-encoded body parameters (§2.2) are never read.
    /// </summary>
    public bool AllowQueryStringToken { get; set; }
}

/// <summary>
/// One provider's bearer settings. Every setting left empty (or null) takes the value of <see cref="OidcRpBearerOptions"/>;
/// a setting given here replaces that one, it is not added to it.
/// </summary>
public sealed class OidcRpBearerProviderOptions
{
    /// <summary>Overrides <see cref="OidcRpBearerOptions.Audiences"/>.</summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>Overrides <see cref="OidcRpBearerOptions.RequiredScopes"/>.</summary>
    public IList<string> RequiredScopes { get; } = [];

    /// <summary>Overrides <see cref="OidcRpBearerOptions.RequiredRoles"/>.</summary>
    public IList<string> RequiredRoles { get; } = [];

    /// <summary>Overrides <see cref="OidcRpBearerOptions.TokenTypes"/> (Keycloak: <c>JWT</c>).</summary>
    public IList<string> TokenTypes { get; } = [];

    /// <summary>Overrides <see cref="OidcRpBearerOptions.Algorithms"/>.</summary>
    public IList<string> Algorithms { get; } = [];

    /// <summary>Overrides <see cref="OidcRpBearerOptions.ClockSkew"/>.</summary>
    public TimeSpan? ClockSkew { get; set; }

    /// <summary>
    /// Public keys to verify this provider's bearer tokens with instead of its JWKS, for an API that cannot reach the
    /// provider: each a JWK (a JSON object with a <c>kid</c>) or a PEM public key (<c>-----BEGIN PUBLIC KEY-----</c>, its kid
    /// then given as <c>kid:PEM</c>). When set, the bearer path never fetches this provider's discovery document or JWKS:
    /// the provider's <c>Issuer</c> (or <c>Authority</c>) is the issuer and a token naming another kid is refused
    /// (<c>kid_not_found</c>) without a fetch. The trade-off: a rotation at the provider breaks every call until the new key
    /// is configured, and a leaked key stays trusted until removed here (revoking its kid works meanwhile). The login path
    /// is not affected.
    /// </summary>
    public IList<string> PinnedKeys { get; } = [];
}
