using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace OidcRp;

/// <summary>One OpenID Provider that users can sign in with.</summary>
public sealed class OidcProviderOptions
{
    /// <summary>The provider id. Set from the key of <see cref="OidcRpOptions.Providers"/> when empty.</summary>
    public string Id { get; set; } = "";

    /// <summary>The name shown to users; defaults to the id.</summary>
    public string? DisplayName { get; set; }

    /// <summary>
    /// The issuer URL of the provider (OIDC Discovery §4). The discovery document is read from
    /// <c>{Authority}/.well-known/openid-configuration</c> unless <see cref="MetadataAddress"/> is set,
    /// and its <c>issuer</c> must equal this value.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The discovery document's address, when it is not under <see cref="Authority"/>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>The expected issuer when it differs from <see cref="Authority"/> or no authority is set.</summary>
    public string? Issuer { get; set; }

    /// <summary>
    /// A multi-tenant issuer template holding <c>{tenantid}</c> once, as a whole path segment, for a multi-tenant
    /// provider OidcRp does not recognise from <see cref="Authority"/> alone (Entra ID in another cloud, a test OP).
    /// The discovery document's <c>issuer</c> must equal it exactly; an ID token's <c>iss</c> must equal it with the
    /// token's own <c>tid</c> (a GUID) in place of <c>{tenantid}</c>. Not needed for Entra ID's public cloud
    /// (<c>https://login.microsoftonline.com/common/v2.0</c> and the like): see docs/providers.md, "Microsoft Entra ID".
    /// </summary>
    public string? IssuerTemplate { get; set; }

    /// <summary>
    /// For a multi-tenant provider (an Entra ID <c>common</c>, <c>organizations</c> or <c>consumers</c> authority, or
    /// <see cref="IssuerTemplate"/>): the tenant GUIDs allowed to sign in; other tenants are refused
    /// (<c>tenant_not_allowed</c>). Empty (the default): users of ANY tenant can sign in, and start-up logs a warning.
    /// Refused at start-up on a provider that is not multi-tenant.
    /// </summary>
    public IList<string> AllowedTenants { get; } = [];

    /// <summary>The client id registered at the provider.</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// The client secret, sent to the token endpoint (and the pushed authorization endpoint) as
    /// <see cref="ClientAuthentication"/> says: by default <c>client_secret_basic</c> when the provider lists it or
    /// lists nothing, else <c>client_secret_post</c>. Never logged.
    /// </summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// How the client authenticates at the token and pushed authorization endpoints (OIDC Core §9):
    /// <c>client_secret_basic</c> or <c>client_secret_post</c>. Empty (the default): <c>client_secret_basic</c> when the
    /// discovery document's <c>token_endpoint_auth_methods_supported</c> lists it or is absent (the spec's default),
    /// else <c>client_secret_post</c> when listed, else <c>client_secret_basic</c>. <c>private_key_jwt</c> and
    /// <c>client_secret_jwt</c> are not supported.
    /// </summary>
    public string? ClientAuthentication { get; set; }

    /// <summary>
    /// How the provider returns the authorization response (OAuth 2.0 Multiple Response Types §2.1, Form Post Response
    /// Mode): <c>form_post</c> or <c>query</c>. Empty (the default): <c>form_post</c> when the discovery document's
    /// <c>response_modes_supported</c> lists it, else <c>query</c> (an absent list means query and fragment, OIDC
    /// Discovery §3). <c>query</c> puts the code and state in the callback URL, so in browser history and the access logs
    /// of every server and proxy on the way. <c>fragment</c> is refused: a server never sees it.
    /// </summary>
    public string? ResponseMode { get; set; }

    /// <summary>
    /// Whether to push the authorization request to the provider's <c>pushed_authorization_request_endpoint</c>
    /// (RFC 9126) when its discovery document advertises one. Default true, as the stock handler does: the request's
    /// parameters then travel on the back channel, authenticated, and the browser carries only a <c>request_uri</c>.
    /// </summary>
    public bool PushedAuthorization { get; set; } = true;

    /// <summary>The <c>prompt</c> of every authorization request (OIDC Core §3.1.2.1): <c>none</c>, <c>login</c>, <c>consent</c>, <c>select_account</c>, space separated.</summary>
    public string? Prompt { get; set; }

    /// <summary>
    /// The <c>max_age</c> of every authorization request (OIDC Core §3.1.2.1): the longest time since the user last
    /// authenticated at the provider. When set, the ID token must carry <c>auth_time</c> no older than this (plus the
    /// clock skew), or the sign-in is refused (<c>auth_time_invalid</c>).
    /// </summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>
    /// Whether to read claims from the provider's userinfo endpoint after the ID token is validated (OIDC Core §5.3).
    /// Default false. The answer's <c>sub</c> must equal the ID token's; signed answers (<c>application/jwt</c>) are refused.
    /// </summary>
    public bool GetClaimsFromUserInfoEndpoint { get; set; }

    /// <summary>Scopes to request; <c>openid profile email</c> when empty. <c>openid</c> is always added.</summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>
    /// The ID token signing algorithms accepted from this provider (RFC 8725 §3.1). Empty (the default):
    /// the asymmetric algorithms (RS*, PS*, ES*) the provider's discovery document advertises, or RS256
    /// when it advertises none. When set, exactly these. <c>HS256</c>, <c>HS384</c> and <c>HS512</c> are
    /// accepted only when listed here, and then verified with <see cref="ClientSecret"/> only (OIDC Core
    /// §10.1), never with a JWKS key; the secret must be at least 32, 48 or 64 bytes. <c>none</c> is never accepted.
    /// </summary>
    public IList<string> SigningAlgorithms { get; } = [];

    /// <summary>The redirect URI path; defaults to <c>/auth/oidc/{id}/callback</c>.</summary>
    public string? CallbackPath { get; set; }

    /// <summary>The post-logout redirect path; defaults to <c>/auth/oidc/{id}/signout-callback</c>.</summary>
    public string? SignedOutCallbackPath { get; set; }

    /// <summary>
    /// Whether this provider may sign users out through OpenID Connect Front-Channel Logout 1.0: a GET to the
    /// stock handler's <c>RemoteSignOutPath</c> (<c>/signout-oidc</c>, shared by every provider that turns this
    /// on). Default false: the path is not routed for this provider at all. Turn it on only for a provider whose
    /// ID tokens carry <c>sid</c> and which sends <c>iss</c> and <c>sid</c> with each logout request
    /// (frontchannel_logout_session_required): the stock handler compares them with the signed-in ticket's
    /// claims and skips the <c>sid</c> comparison when the ticket has none, which leaves only the public
    /// <c>iss</c> between a cross-site GET and the user's session.
    /// </summary>
    public bool FrontChannelLogout { get; set; }

    /// <summary>Whether discovery, JWKS and provider endpoints must use https. Defaults to true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Customises this provider's stock handler options after OidcRp and <see cref="OidcRpOptions.ConfigureHandler"/>.</summary>
    public Action<OpenIdConnectOptions>? ConfigureHandler { get; set; }

    internal IReadOnlyList<string> EffectiveScopes
    {
        get
        {
            var scopes = Scopes.Count == 0 ? ["openid", "profile", "email"] : Scopes.Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
            return scopes.Contains("openid", StringComparer.Ordinal) ? scopes : ["openid", .. scopes];
        }
    }

    internal string EffectiveDisplayName => string.IsNullOrWhiteSpace(DisplayName) ? Id : DisplayName;

    internal string EffectiveCallbackPath => CallbackPath ?? $"/auth/oidc/{Id}/callback";

    internal string EffectiveSignedOutCallbackPath => SignedOutCallbackPath ?? $"/auth/oidc/{Id}/signout-callback";

    /// <summary>The issuer the discovery document must name, or null to pin the first one seen.</summary>
    internal string? ExpectedIssuer => Issuer ?? Authority;

    internal Uri EffectiveMetadataAddress => new(MetadataAddress
        ?? Authority!.TrimEnd('/') + "/.well-known/openid-configuration", UriKind.Absolute);
}
