using System.Collections.Frozen;

namespace OidcRp.Audit;

/// <summary>
/// Every reason OidcRp writes into an audit row, a log line or a provider's status: one list, like
/// OpenIddict's stable error ids. They are data (dashboards and alerts match on them); docs/audit.md's
/// reason table is checked against <see cref="All"/> by a test. No reason ever carries text taken
/// from a request or an OP's response except through a fixed list (<see cref="IdpError"/>).
/// </summary>
public static class OidcRpReasons
{
    // ---- callback_rejected: the authorization response, before the ID token ----

    /// <summary>The <c>state</c> parameter did not unprotect (forged, tampered, another scheme's, or expired keys).</summary>
    public const string StateInvalid = "state_invalid";

    /// <summary>The correlation cookie of the flow was missing or did not match.</summary>
    public const string CorrelationFailed = "correlation_failed";

    /// <summary>This flow (state) was already used by an earlier callback: a replay or a double submit.</summary>
    public const string StateReplayed = "state_replayed";

    /// <summary>RFC 9207: the response's <c>iss</c> is not the provider's issuer.</summary>
    public const string IssMismatch = "iss_mismatch";

    /// <summary>RFC 9207: the provider advertises the <c>iss</c> parameter but the response has none.</summary>
    public const string IssMissing = "iss_missing";

    /// <summary>The provider of this callback path was removed while the user was signing in (run-time provider sources).</summary>
    public const string ProviderRemoved = "provider_removed";

    // ---- provider_added, provider_changed, provider_removed: run-time provider sources ----

    /// <summary>The change came from configuration (a reload through <c>IOptionsMonitor</c>).</summary>
    public const string SourceConfiguration = "source_configuration";

    /// <summary>The change came from the application's <c>IOidcProviderStore</c>.</summary>
    public const string SourceStore = "source_store";

    /// <summary>A new version of a provider failed its checks and was refused; the old version (if any) is kept.</summary>
    public const string ProviderInvalid = "provider_invalid";

    /// <summary>The token endpoint did not answer with a usable token response.</summary>
    public const string CodeExchangeFailed = "code_exchange_failed";

    /// <summary>The provider's metadata could not be loaded for this callback, or for a sign-in to start (<c>login_start_failed</c>).</summary>
    public const string MetadataUnavailable = "metadata_unavailable";

    /// <summary>
    /// RFC 9126: the provider refused the pushed authorization request (for example a wrong client secret), answered
    /// without a usable <c>request_uri</c>, or could not be reached; the sign-in did not start (<c>login_start_failed</c>).
    /// </summary>
    public const string ParFailed = "par_failed";

    /// <summary>The token response carried no ID token (OIDC Core §3.1.3.3).</summary>
    public const string IdTokenMissing = "id_token_missing";

    /// <summary>The response came back in another response mode than the one requested.</summary>
    public const string ResponseModeMismatch = "response_mode_mismatch";

    /// <summary>The authorization response exceeded a size or count limit.</summary>
    public const string ResponseTooLarge = "response_too_large";

    /// <summary>A parameter of the authorization response appeared more than once (RFC 6749 §3.1).</summary>
    public const string ParameterRepeated = "parameter_repeated";

    /// <summary>The userinfo request failed: unreachable, too slow, a non-2xx status, larger than <c>MaxResponseBytes</c>, or not a JSON object.</summary>
    public const string UserInfoFailed = "userinfo_failed";

    /// <summary>The userinfo answer's <c>sub</c> is missing or not the ID token's (OIDC Core §5.3.2).</summary>
    public const string UserInfoSubMismatch = "userinfo_sub_mismatch";

    /// <summary>The userinfo answer is a signed or encrypted JWT (<c>application/jwt</c>), which OidcRp does not accept.</summary>
    public const string UserInfoSignedUnsupported = "userinfo_signed_unsupported";

    /// <summary>
    /// A claim of OidcRp's reserved prefix (<see cref="OidcRpClaimTypes.ReservedPrefix"/>) came from the
    /// provider (ID token: category <c>id_token_invalid</c>; userinfo or any later source: <c>callback_rejected</c>).
    /// </summary>
    public const string ReservedClaim = "reserved_claim";

    /// <summary>Prefix of the reasons for an OP's <c>error=</c> answer: <c>idp_error:{code}</c>, the code from <see cref="IdpErrorCodes"/>.</summary>
    public const string IdpErrorPrefix = "idp_error:";

    /// <summary>The code used for an OP <c>error</c> value that is not in <see cref="IdpErrorCodes"/>.</summary>
    public const string OtherIdpError = "other";

    // ---- id_token_invalid: the ID token ----

    /// <summary>Not a compact JWS, or a value of the wrong type.</summary>
    public const string Malformed = "malformed";

    /// <summary>An encrypted (JWE) ID token.</summary>
    public const string JweNotAllowed = "jwe_not_allowed";

    /// <summary><c>max_age</c> was requested and the ID token's <c>auth_time</c> is missing, not a number, too old or in the future (OIDC Core §3.1.2.1).</summary>
    public const string AuthTimeInvalid = "auth_time_invalid";

    /// <summary>The ID token is larger than OidcRp accepts.</summary>
    public const string TokenTooLarge = "token_too_large";

    /// <summary>The <c>kid</c> is not a string of printable ASCII within bounds.</summary>
    public const string KidMalformed = "kid_malformed";

    /// <summary>The <c>alg</c> is not allowed for this provider, or not the one the named key is bound to.</summary>
    public const string AlgNotAllowed = "alg_not_allowed";

    /// <summary>A <c>typ</c> other than <c>JWT</c> or <c>application/jwt</c> (RFC 8725 §3.11).</summary>
    public const string TypNotAllowed = "typ_not_allowed";

    /// <summary>A <c>crit</c> header (RFC 7515 §4.1.11): OidcRp understands no JWS extension.</summary>
    public const string CritUnsupported = "crit_unsupported";

    /// <summary>A <c>jwk</c>, <c>jku</c>, <c>x5u</c> or <c>x5c</c> header: keys named by the token are never trusted.</summary>
    public const string EmbeddedKeyNotAllowed = "embedded_key_not_allowed";

    /// <summary><c>sub</c> missing, not a string, or longer than 255 characters.</summary>
    public const string SubInvalid = "sub_invalid";

    /// <summary><c>iat</c> missing, not a number, or in the future.</summary>
    public const string IatInvalid = "iat_invalid";

    /// <summary><c>azp</c> not this client, or missing with several audiences.</summary>
    public const string AzpInvalid = "azp_invalid";

    /// <summary>The signature did not verify with the key the token names.</summary>
    public const string SignatureInvalid = "signature_invalid";

    /// <summary>The token is expired.</summary>
    public const string Expired = "expired";

    /// <summary>The token is not yet valid.</summary>
    public const string NotYetValid = "not_yet_valid";

    /// <summary>The token has no expiry.</summary>
    public const string NoExpiration = "no_expiration";

    /// <summary>Another lifetime failure.</summary>
    public const string Lifetime = "lifetime";

    /// <summary>The audience is not this client.</summary>
    public const string Audience = "audience";

    /// <summary>The issuer is not the provider's.</summary>
    public const string Issuer = "issuer";

    /// <summary>
    /// A multi-tenant provider's tenant is not allowed: not in <c>AllowedTenants</c>, or outside the authority's audience
    /// (<c>organizations</c> refuses the consumers tenant, <c>consumers</c> takes only it). From the ID token
    /// (<c>id_token_invalid</c>) or the RFC 9207 <c>iss</c> parameter (<c>callback_rejected</c>).
    /// </summary>
    public const string TenantNotAllowed = "tenant_not_allowed";

    /// <summary>A multi-tenant provider's ID token has no <c>tid</c>, or one that is not a GUID.</summary>
    public const string TenantInvalid = "tenant_invalid";

    /// <summary>The key that verified the signature is bound by its JWKS <c>issuer</c> member to another issuer (another tenant).</summary>
    public const string KeyIssuerMismatch = "key_issuer_mismatch";

    /// <summary>The nonce did not match the flow's (OIDC Core §3.1.3.7).</summary>
    public const string Nonce = "nonce";

    /// <summary>The <c>at_hash</c> did not match the access token.</summary>
    public const string AtHash = "at_hash";

    /// <summary>Another OpenID Connect protocol check failed.</summary>
    public const string Protocol = "protocol";

    /// <summary>Another token validation failure IdentityModel reported.</summary>
    public const string Invalid = "invalid";

    /// <summary>A failure of a type OidcRp does not classify (see the log line for the exception type).</summary>
    public const string Other = "other";

    /// <summary>A failure without an exception.</summary>
    public const string Unknown = "unknown";

    // ---- kid_mismatch_*: the refresh rule ----

    /// <summary>The token's kid is not in the provider's JWKS, fetched after the token arrived (<c>kid_mismatch_unrecovered</c>).</summary>
    public const string KidNotFound = "kid_not_found";

    /// <summary>A fetch looked this kid up within the kid-miss window and did not find it: refused without a fetch.</summary>
    public const string KidRecentlyLookedUp = "kid_recently_looked_up";

    /// <summary>The path's kid-miss budget for the window is spent (unpublished kids spent it): refused without a fetch.</summary>
    public const string KidMissBudgetSpent = "kid_miss_budget_spent";

    // ---- bearer tokens (access_token_invalid) and key revocation ----

    /// <summary>The token's kid was revoked by an operator (login and bearer paths): refused without a fetch.</summary>
    public const string KidRevoked = "kid_revoked";

    /// <summary>A bearer token shaped like an ID token (<c>nonce</c>, <c>at_hash</c>, <c>c_hash</c>, or Keycloak's <c>typ</c> claim <c>ID</c>).</summary>
    public const string IdTokenAsBearer = "id_token_as_bearer";

    /// <summary>A bearer token bound to a key by <c>cnf</c> (DPoP, mTLS: RFC 9449, RFC 8705), which OidcRp does not verify.</summary>
    public const string CnfNotSupported = "cnf_not_supported";

    /// <summary>A bearer token that is not a compact JWS: an opaque token (introspection is out of scope).</summary>
    public const string TokenNotJwt = "token_not_jwt";

    /// <summary>A bearer token whose <c>iss</c> names no accepted provider.</summary>
    public const string IssuerUnknown = "issuer_unknown";

    /// <summary>A valid bearer token without a required scope or role (RFC 6750 §3.1: 403).</summary>
    public const string InsufficientScope = "insufficient_scope";

    /// <summary>A request carrying a bearer token in more than one place, or a malformed <c>Authorization</c> header (RFC 6750 §2).</summary>
    public const string TokenLocationInvalid = "token_location_invalid";

    /// <summary>An operator revoked a kid (<c>admin_key_revocation</c>).</summary>
    public const string KidRevoke = "kid_revoke";

    /// <summary>An operator lifted a kid's revocation (<c>admin_key_revocation</c>).</summary>
    public const string KidUnrevoke = "kid_unrevoke";

    /// <summary>A revoked kid left the provider's JWKS, so its revocation lapsed (<c>admin_key_revocation</c>, actor <c>oidcrp</c>).</summary>
    public const string RevocationLapsed = "revocation_lapsed";

    // ---- jwks_unreachable and provider status: fetching metadata ----

    /// <summary>The provider's metadata has never been loaded.</summary>
    public const string NeverLoaded = "never_loaded";

    /// <summary>Prefix of a discovery-document failure: <c>discovery_{failure}</c>, the failure from <see cref="FetchFailures"/>.</summary>
    public const string DiscoveryPrefix = "discovery_";

    /// <summary>Prefix of a JWKS-document failure: <c>jwks_{failure}</c>, the failure from <see cref="FetchFailures"/>.</summary>
    public const string JwksPrefix = "jwks_";

    /// <summary>The discovery document is not a JSON object of the expected shape.</summary>
    public const string DiscoveryMalformed = "discovery_malformed";

    /// <summary>The discovery document has no issuer.</summary>
    public const string DiscoveryIssuerMissing = "discovery_issuer_missing";

    /// <summary>The discovery document's issuer is not the expected one (OIDC Discovery §4.3).</summary>
    public const string DiscoveryIssuerMismatch = "discovery_issuer_mismatch";

    /// <summary>The discovery document's issuer is not an absolute URL of an allowed scheme.</summary>
    public const string DiscoveryIssuerInvalid = "discovery_issuer_invalid";

    /// <summary>An endpoint in the discovery document is not an absolute URL of an allowed scheme.</summary>
    public const string DiscoveryEndpointInvalid = "discovery_endpoint_invalid";

    /// <summary>The JWKS is not a JSON object with a <c>keys</c> array.</summary>
    public const string JwksMalformed = "jwks_malformed";

    /// <summary>The JWKS has more keys than <c>MaxKeys</c>.</summary>
    public const string JwksTooManyKeys = "jwks_too_many_keys";

    /// <summary>The JWKS holds no usable signing key.</summary>
    public const string JwksNoSigningKey = "jwks_no_signing_key";

    // ---- keys_fetched: what started a fetch of a provider's keys ----

    /// <summary>The first load of a provider: at start with <c>WarmUp</c>, else on first use (and its retries after a failure).</summary>
    public const string FetchInitial = "fetch_initial";

    /// <summary>The background refresh every <c>RefreshInterval</c>, or its retry after a failure.</summary>
    public const string FetchScheduled = "fetch_scheduled";

    /// <summary>An ID token at the login callback named a kid the cached keys lacked (drawn from the login path's kid-miss budget).</summary>
    public const string FetchKidMissLogin = "fetch_kid_miss_login";

    /// <summary>A bearer token named a kid the cached keys lacked (drawn from the bearer path's kid-miss budget).</summary>
    public const string FetchKidMissBearer = "fetch_kid_miss_bearer";

    /// <summary>An operator forced a refresh (an <c>admin_refresh</c> row names the actor).</summary>
    public const string FetchAdmin = "fetch_admin";

    /// <summary>No fetch here: another instance of the farm fetched the keys and this one adopted its shared snapshot.</summary>
    public const string FetchFarmPeer = "fetch_farm_peer";

    // ---- admin_access / admin_refresh ----

    /// <summary>An admin call without an authenticated user (401).</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>An admin call by a user the policy refused (403).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>An admin call that names no provider.</summary>
    public const string UnknownProvider = "unknown_provider";

    /// <summary>A cookie-authenticated admin POST without a valid antiforgery token.</summary>
    public const string AntiforgeryInvalid = "antiforgery_invalid";

    /// <summary>The audit sink cannot be queried.</summary>
    public const string AuditNotQueryable = "audit_not_queryable";

    /// <summary>A read of the audit rows.</summary>
    public const string AuditQuery = "audit_query";

    /// <summary>A read of the provider list.</summary>
    public const string List = "list";

    /// <summary>A read of one provider's status.</summary>
    public const string Status = "status";

    /// <summary>An admin refresh refused inside <c>AdminRefreshMinInterval</c>.</summary>
    public const string Throttled = "throttled";

    /// <summary>
    /// The error codes an OP may send in an authorization error response: RFC 6749 §4.1.2.1 and
    /// OpenID Connect Core §3.1.2.6. Any other value is recorded as <c>idp_error:other</c>, so no
    /// attacker-chosen text reaches a log line or an audit row.
    /// </summary>
    public static IReadOnlyList<string> IdpErrorCodes { get; } =
    [
        "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope",
        "server_error", "temporarily_unavailable",
        "interaction_required", "login_required", "account_selection_required", "consent_required",
        "invalid_request_uri", "invalid_request_object", "request_not_supported", "request_uri_not_supported",
        "registration_not_supported",
    ];

    /// <summary>How one fetch of a discovery or JWKS document failed (besides <see cref="HttpStatusFailure"/>); each appears behind <see cref="DiscoveryPrefix"/> or <see cref="JwksPrefix"/>.</summary>
    public static IReadOnlyList<string> FetchFailures { get; } =
    [
        "timeout", "too_large", "invalid_json", "dns", "connection_refused", "connection_closed", "invalid_response", "tls",
        "proxy", "protocol_error", "redirect_invalid", "redirect_cross_origin", "redirect_loop", "other",
    ];

    /// <summary>The fetch failure for an HTTP status other than success or a followed redirect: <c>http_{status}</c> (100–599).</summary>
    public static string HttpStatusFailure(int status) =>
        status is >= 100 and <= 599 ? "http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture) : "invalid_response";

    private static readonly FrozenSet<string> KnownIdpErrors = IdpErrorCodes.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The reason for an OP's <c>error=</c> answer: <c>idp_error:{code}</c> for a registered code, else <c>idp_error:other</c>.</summary>
    public static string IdpError(string? code) =>
        IdpErrorPrefix + (code is not null && KnownIdpErrors.Contains(code) ? code : OtherIdpError);

    /// <summary>Every reason OidcRp can write, the composed ones (<c>idp_error:…</c>, <c>discovery_…</c>, <c>jwks_…</c>) expanded.</summary>
    public static IReadOnlySet<string> All { get; } = BuildAll();

    private static FrozenSet<string> BuildAll()
    {
        var all = typeof(OidcRpReasons).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name is not (nameof(IdpErrorPrefix) or nameof(DiscoveryPrefix) or nameof(JwksPrefix) or nameof(OtherIdpError)))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);
        all.UnionWith(IdpErrorCodes.Append(OtherIdpError).Select(c => IdpErrorPrefix + c));
        var failures = FetchFailures.Concat(Enumerable.Range(100, 500).Select(HttpStatusFailure));
        all.UnionWith(failures.SelectMany(f => new[] { DiscoveryPrefix + f, JwksPrefix + f }));
        return all.ToFrozenSet(StringComparer.Ordinal);
    }
}
