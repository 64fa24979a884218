namespace OidcRp.Audit;

/// <summary>
/// One audit row: one login outcome or one admin action. Holds no token, code, state, nonce,
/// PKCE verifier, cookie or secret; request-derived strings are sanitized and length-capped.
/// </summary>
public sealed record OidcAuditRecord
{
    /// <summary>Unique, time-ordered id (UUID v7).</summary>
    public required Guid Id { get; init; }

    /// <summary>When it happened (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The provider id.</summary>
    public required string ProviderId { get; init; }

    /// <summary>One of <see cref="OidcAuditCategories"/>.</summary>
    public required string Category { get; init; }

    /// <summary>One of <see cref="OidcAuditOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    /// <summary>A stable reason code for failures (for example <c>expired</c>, <c>state_invalid</c>).</summary>
    public string? Reason { get; init; }

    /// <summary>The ID token's kid, sanitized and truncated.</summary>
    public string? Kid { get; init; }

    /// <summary>Whether this login or action caused a key refresh.</summary>
    public bool KeysRefreshed { get; init; }

    /// <summary>How long the refresh took, when there was one.</summary>
    public TimeSpan? RefreshDuration { get; init; }

    /// <summary>The subject (<c>sub</c>) on success.</summary>
    public string? Subject { get; init; }

    /// <summary>
    /// The tenant (lowercase GUID) for a multi-tenant provider such as Entra ID <c>common</c>: the signed-in user's on
    /// success, the refused one on <c>tenant_not_allowed</c>. Null for single-issuer providers. Subjects of a
    /// multi-tenant provider are unique per tenant only: <see cref="Subject"/> names a user together with this.
    /// </summary>
    public string? TenantId { get; init; }

    /// <summary>The client IP address as the server saw it.</summary>
    public string? ClientIp { get; init; }

    /// <summary>The user agent, truncated.</summary>
    public string? UserAgent { get; init; }

    /// <summary>The W3C trace id of the request.</summary>
    public string? TraceId { get; init; }

    /// <summary>Who called the admin endpoint (admin rows only).</summary>
    public string? Actor { get; init; }

    /// <summary>Signing key ids before an admin refresh.</summary>
    public IReadOnlyList<string>? KidsBefore { get; init; }

    /// <summary>Signing key ids after an admin refresh.</summary>
    public IReadOnlyList<string>? KidsAfter { get; init; }

    /// <summary>
    /// How many events this row stands for (default 1). Above 1 only on an aggregate row: denied admin
    /// calls and forgery-shaped callback failures from one source are counted into one row per window
    /// (<see cref="OidcAuditOptions.AggregationWindow"/>). Such a row's <see cref="Timestamp"/> is the first
    /// event it counts, its <see cref="ClientIp"/> is the source (an IPv4 address or an IPv6 /64), and its
    /// kid, user agent, trace id and actor are those of that first event, as a sample.
    /// </summary>
    public int Count { get; init; } = 1;

    /// <summary>
    /// The token path of a token row: <see cref="OidcAuditPaths.Login"/> (an ID token at the callback) or
    /// <see cref="OidcAuditPaths.Bearer"/> (an access token on an API). Null on admin rows and on rows written before it existed.
    /// </summary>
    public string? Path { get; init; }
}
