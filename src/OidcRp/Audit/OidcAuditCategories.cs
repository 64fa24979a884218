namespace OidcRp.Audit;

/// <summary>Stable audit categories. They are data: dashboards and alerts match on them.</summary>
public static class OidcAuditCategories
{
    /// <summary>The ID token verified with cached keys.</summary>
    public const string LoginSucceeded = "login_succeeded";

    /// <summary>The kid was unknown, one forced refresh found it, the token verified: a key rotation, not an attack.</summary>
    public const string KidMismatchRecovered = "kid_mismatch_recovered";

    /// <summary>The kid was still unknown after the refresh: possible forgery or misconfiguration.</summary>
    public const string KidMismatchUnrecovered = "kid_mismatch_unrecovered";

    /// <summary>The kid was unknown and no fetch ran: looked up moments ago, or the kid-miss budget is spent (see the reason).</summary>
    public const string KidMismatchThrottled = "kid_mismatch_throttled";

    /// <summary>The refresh was tried and failed; the last good keys are kept.</summary>
    public const string JwksUnreachable = "jwks_unreachable";

    /// <summary>Any other ID token verification failure; see the row's reason.</summary>
    public const string IdTokenInvalid = "id_token_invalid";

    /// <summary>A bearer access token was refused (the row's path is <c>bearer</c>); only forgery-shaped reasons write rows, aggregated.</summary>
    public const string AccessTokenInvalid = "access_token_invalid";

    /// <summary>A kid revoked or un-revoked through the admin endpoints, with the actor, or a revocation lapsed.</summary>
    public const string AdminKeyRevocation = "admin_key_revocation";

    /// <summary>The callback failed before the ID token: state, correlation, <c>iss</c>, IdP error, code exchange.</summary>
    public const string CallbackRejected = "callback_rejected";

    /// <summary>A sign-in that could not start: the provider's metadata could not be loaded, or its pushed authorization endpoint failed.</summary>
    public const string LoginStartFailed = "login_start_failed";

    /// <summary>A forced refresh through the admin endpoint (success, failure or denied).</summary>
    public const string AdminRefresh = "admin_refresh";

    /// <summary>A call to a read-only admin endpoint (success, failure for an unknown id, or denied); provider <c>*</c> when it names none.</summary>
    public const string AdminAccess = "admin_access";

    /// <summary>
    /// One fetch of a provider's keys (success or failure), or a key set adopted from a farm peer. The reason is the
    /// trigger (<c>fetch_*</c> in <see cref="OidcRpReasons"/>); kids before and after are on the row, so a rotation is a
    /// row whose two kid sets differ.
    /// </summary>
    public const string KeysFetched = "keys_fetched";

    /// <summary>A provider was added at run time (configuration reload or store); reason: the source.</summary>
    public const string ProviderAdded = "provider_added";

    /// <summary>A provider changed at run time; the row names the settings that changed (never their values). Failure: refused.</summary>
    public const string ProviderChanged = "provider_changed";

    /// <summary>A provider was removed at run time; reason: the source.</summary>
    public const string ProviderRemoved = "provider_removed";
}

/// <summary>Which token path an audit row comes from (<see cref="OidcAuditRecord.Path"/>).</summary>
public static class OidcAuditPaths
{
    /// <summary>The login: an ID token from the provider's token endpoint.</summary>
    public const string Login = "login";

    /// <summary>A bearer access token on an API.</summary>
    public const string Bearer = "bearer";
}

/// <summary>Stable audit outcomes.</summary>
public static class OidcAuditOutcomes
{
    /// <summary>The login or action succeeded.</summary>
    public const string Success = "success";

    /// <summary>The login or action failed.</summary>
    public const string Failure = "failure";

    /// <summary>The caller was not authorised (401 or 403).</summary>
    public const string Denied = "denied";
}
