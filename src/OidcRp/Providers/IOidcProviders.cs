namespace OidcRp;

/// <summary>Read the providers' key status and force refreshes; what the admin endpoints and admin pages use.</summary>
public interface IOidcProviders
{
    /// <summary>The status of every provider in place: configuration providers in configuration order, then the store providers loaded so far.</summary>
    IReadOnlyList<OidcProviderStatus> GetStatuses();

    /// <summary>
    /// One page of every provider, configuration and store, ordered by id ignoring case, starting after
    /// <paramref name="afterId"/> (keyset paging). Store providers not loaded yet are listed from their row, not loaded.
    /// </summary>
    /// <param name="afterId">The last id of the previous page (<see cref="OidcProviderPage.Next"/>), or null.</param>
    /// <param name="limit">The page size, 1 to <see cref="OidcProviderPage.MaxLimit"/>.</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    Task<OidcProviderPage> ListAsync(string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>The status of one provider, or null when no provider has that id.</summary>
    /// <param name="providerId">The provider id (any letter case).</param>
    OidcProviderStatus? GetStatus(string providerId);

    /// <summary>
    /// Forces a discovery and JWKS refresh (at most once per admin minimum interval), awaits it and writes
    /// an <c>admin_refresh</c> audit row with <paramref name="actor"/>.
    /// </summary>
    /// <param name="providerId">The provider id (any letter case).</param>
    /// <param name="actor">Who asked, for the audit row.</param>
    /// <param name="cancellationToken">Stops waiting; the shared fetch itself goes on.</param>
    Task<OidcRefreshResult> RefreshAsync(string providerId, string actor, CancellationToken cancellationToken);
}

/// <summary>One page of <see cref="IOidcProviders.ListAsync"/>.</summary>
public sealed record OidcProviderPage
{
    /// <summary>The largest page.</summary>
    public const int MaxLimit = 500;

    /// <summary>The providers of this page, ordered by id ignoring case.</summary>
    public required IReadOnlyList<OidcProviderStatus> Providers { get; init; }

    /// <summary>The <c>after</c> of the next page, or null on the last page.</summary>
    public string? Next { get; init; }
}

/// <summary>A provider's key status. Never holds a secret.</summary>
public sealed record OidcProviderStatus
{
    /// <summary>The provider id.</summary>
    public required string Id { get; init; }

    /// <summary>The version in place: a counter for configuration providers, the store's version for store providers.</summary>
    public string Version { get; init; } = "1";

    /// <summary>Where the provider came from: <c>configuration</c> or <c>store</c>.</summary>
    public string Source { get; init; } = "configuration";

    /// <summary>The version of the last change refused for this provider (the version above kept instead), or null.</summary>
    public string? RefusedVersion { get; init; }

    /// <summary>Why the last change was refused (the checks that failed; never a secret value).</summary>
    public IReadOnlyList<string> RefusedErrors { get; init; } = [];

    /// <summary>When the last change was refused.</summary>
    public DateTimeOffset? RefusedAt { get; init; }

    /// <summary>The name shown to users.</summary>
    public required string DisplayName { get; init; }

    /// <summary>The issuer of the loaded discovery document, or the configured one before the first load.</summary>
    public string? Issuer { get; init; }

    /// <summary>Whether discovery and JWKS have ever loaded.</summary>
    public bool Loaded { get; init; }

    /// <summary>The signing key ids currently trusted.</summary>
    public IReadOnlyList<string> Kids { get; init; } = [];

    /// <summary>A short fingerprint of the key set; it changes when the keys change.</summary>
    public string? KeySetFingerprint { get; init; }

    /// <summary>When the discovery document was last fetched.</summary>
    public DateTimeOffset? DiscoveryFetchedAt { get; init; }

    /// <summary>When the JWKS was last fetched.</summary>
    public DateTimeOffset? KeysFetchedAt { get; init; }

    /// <summary>When the last fetch (any trigger) started.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>When the background refresh will next run.</summary>
    public DateTimeOffset? NextRefreshAt { get; init; }

    /// <summary>The stable code of the last failed fetch, cleared by a successful one.</summary>
    public string? LastErrorCode { get; init; }

    /// <summary>When the last fetch failed.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Tokens (ID tokens and bearer tokens) with a kid the cached keys lacked that verified after the kid-miss rule fetched (or found) the new key.</summary>
    public long Recoveries { get; init; }

    /// <summary>Tokens (either path) with an unknown kid the rule could not recover: not published, refused without a fetch, or the fetch failed.</summary>
    public long KidMissFailures { get; init; }

    /// <summary>Successful fetches.</summary>
    public long Refreshes { get; init; }

    /// <summary>Failed fetches.</summary>
    public long FailedRefreshes { get; init; }

    /// <summary>How old the key set is (now minus <see cref="KeysFetchedAt"/>).</summary>
    public TimeSpan? KeysAge { get; init; }

    /// <summary>Tokens (login and bearer) that named a kid of the current key set since it was fetched.</summary>
    public long KeyHits { get; init; }

    /// <summary>Tokens (login and bearer) that named a kid the current key set lacks since it was fetched.</summary>
    public long KeyMisses { get; init; }

    /// <summary>
    /// Kid-miss fetches of ID tokens (the login path) counted against <see cref="OidcKeyPolicyOptions.KidMissBudget"/> in the
    /// window ending now, on this instance; a fetch that recovered a genuine rotation is given back, so only unknown kids spend it.
    /// </summary>
    public int KidMissBudgetSpent { get; init; }

    /// <summary>The same for bearer tokens, against <see cref="OidcKeyPolicyOptions.BearerKidMissBudget"/>.</summary>
    public int BearerKidMissBudgetSpent { get; init; }

    /// <summary>Kids an operator revoked (<see cref="IOidcKeyRevocations"/>); they are left out of <see cref="Kids"/>.</summary>
    public IReadOnlyList<string> RevokedKids { get; init; } = [];
}

/// <summary>The outcome of a forced refresh.</summary>
public enum OidcRefreshStatus
{
    /// <summary>The keys were fetched (whether or not they changed).</summary>
    Refreshed,

    /// <summary>No provider has that id.</summary>
    NotFound,

    /// <summary>Inside the admin minimum interval; see <see cref="OidcRefreshResult.RetryAfter"/>.</summary>
    Throttled,

    /// <summary>The provider could not be reached or sent unusable data; the last good keys are kept.</summary>
    Failed,
}

/// <summary>The result of <see cref="IOidcProviders.RefreshAsync"/>.</summary>
public sealed record OidcRefreshResult
{
    /// <summary>What happened.</summary>
    public required OidcRefreshStatus Status { get; init; }

    /// <summary>The canonical provider id, when found.</summary>
    public string? ProviderId { get; init; }

    /// <summary>Signing key ids before the refresh.</summary>
    public IReadOnlyList<string> KidsBefore { get; init; } = [];

    /// <summary>Signing key ids after the refresh.</summary>
    public IReadOnlyList<string> KidsAfter { get; init; } = [];

    /// <summary>Whether the key set changed.</summary>
    public bool Changed { get; init; }

    /// <summary>When throttled, how long until a refresh is allowed.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>When failed, the stable error code.</summary>
    public string? ErrorCode { get; init; }
}
