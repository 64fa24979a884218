namespace OidcRp;

/// <summary>
/// Providers kept outside configuration (for example one row per customer in the app's database). The registry
/// asks the store lazily: a provider is read the first time a request names it (by id on the login and admin
/// routes, by callback path on the callback), cached, and read again when the store signals a change for it.
/// Implementations must be thread-safe and must never log or return a provider's secret anywhere but in
/// <see cref="OidcProviderRecord.Options"/>.
/// </summary>
public interface IOidcProviderStore
{
    /// <summary>The provider with id <paramref name="providerId"/> (ignoring letter case), or null when there is none.</summary>
    /// <param name="providerId">The provider id.</param>
    /// <param name="cancellationToken">Stops the lookup.</param>
    Task<OidcProviderRecord?> FindByIdAsync(string providerId, CancellationToken cancellationToken);

    /// <summary>
    /// The provider whose <see cref="OidcProviderOptions.CallbackPath"/> or
    /// <see cref="OidcProviderOptions.SignedOutCallbackPath"/> is <paramref name="path"/> (ordinal, ignoring letter
    /// case), or null when there is none.
    /// </summary>
    /// <param name="path">The request path, starting with <c>/</c>.</param>
    /// <param name="cancellationToken">Stops the lookup.</param>
    Task<OidcProviderRecord?> FindByCallbackPathAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="limit"/> providers ordered by id (ordinal, ignoring case), starting after
    /// <paramref name="afterId"/> (keyset paging; null for the first page).
    /// </summary>
    /// <param name="afterId">The last id of the previous page, or null.</param>
    /// <param name="limit">The page size (at least 1).</param>
    /// <param name="cancellationToken">Stops the listing.</param>
    Task<IReadOnlyList<OidcProviderRecord>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Registers <paramref name="onChange"/>, called (on any thread, possibly concurrently) when providers were
    /// added, changed or removed. Dispose the result to unregister.
    /// </summary>
    /// <param name="onChange">Receives which providers changed.</param>
    IDisposable Subscribe(Action<OidcProviderStoreChange> onChange);
}

/// <summary>One provider as a store holds it.</summary>
public sealed record OidcProviderRecord
{
    /// <summary>The provider's settings; <see cref="OidcProviderOptions.Id"/> is its id.</summary>
    public required OidcProviderOptions Options { get; init; }

    /// <summary>
    /// An opaque version that changes whenever any setting of the provider changes (a row version, a counter or a
    /// hash). The registry compares versions to decide whether a re-read provider changed.
    /// </summary>
    public required string Version { get; init; }
}

/// <summary>What a store's change signal says changed.</summary>
public sealed record OidcProviderStoreChange
{
    /// <summary>A change of unknown extent: every cached provider of the store is read again.</summary>
    public static OidcProviderStoreChange Everything { get; } = new() { ProviderIds = null };

    /// <summary>The ids of the providers added, changed or removed; null when unknown (read everything again).</summary>
    public IReadOnlyList<string>? ProviderIds { get; init; }

    /// <summary>Who made the change, for the audit rows, when the store knows it.</summary>
    public string? Actor { get; init; }
}
