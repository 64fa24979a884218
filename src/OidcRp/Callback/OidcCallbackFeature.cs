namespace OidcRp.Callback;

/// <summary>How far a callback got; decides the audit category of a failure without reading messages.</summary>
internal enum CallbackStage
{
    /// <summary>The authorization response arrived; state and correlation not yet checked.</summary>
    Received,

    /// <summary>State, correlation and IdP error checks passed; the code is about to be redeemed.</summary>
    CodeReceived,

    /// <summary>The token endpoint answered; the ID token is being validated.</summary>
    TokenReceived,
}

/// <summary>The outcome of validating one ID token, for the audit row.</summary>
internal sealed record ValidationRecord(
    string Category,
    bool Success,
    string? Reason = null,
    string? Kid = null,
    bool KeysRefreshed = false,
    TimeSpan? RefreshDuration = null);

/// <summary>Per-request state of one callback, kept in <c>HttpContext.Features</c>.</summary>
internal sealed class OidcCallbackFeature(string providerId)
{
    public string ProviderId { get; } = providerId;

    public CallbackStage Stage { get; set; }

    /// <summary>The audit reason for the IdP's <c>error</c> (<c>idp_error:{code}</c>, the code from a fixed list).</summary>
    public string? IdpError { get; set; }

    /// <summary>Set when OidcRp's own checks rejected the callback (for example an <c>iss</c> mismatch).</summary>
    public string? RejectReason { get; set; }

    /// <summary>The flow's <c>state</c> as the replay guard keys it (a hash, never the state itself).</summary>
    public UInt128? StateHash { get; set; }

    public ValidationRecord? Validation { get; set; }

    /// <summary>The tenant a multi-tenant provider refused (<c>tenant_not_allowed</c>), a GUID the issuer rule parsed.</summary>
    public string? RefusedTenant { get; set; }

    /// <summary>True once the audit row for this callback is written: exactly one row per outcome.</summary>
    public bool Audited { get; set; }
}
