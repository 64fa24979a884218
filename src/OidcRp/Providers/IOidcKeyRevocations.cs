namespace OidcRp;

/// <summary>
/// Revoking a signing key id: what an operator does when a provider's key leaks. A revoked kid is refused at once on the
/// login and bearer paths (reason <c>kid_revoked</c>, never a fetch), even while the provider still publishes it, until it
/// is un-revoked or a fetched JWKS no longer holds it. Revocations are audited with the actor and survive a restart
/// (docs/operations.md, "Revoking a key").
/// </summary>
public interface IOidcKeyRevocations
{
    /// <summary>Revokes <paramref name="kid"/> of the provider and writes an audit row with <paramref name="actor"/>.</summary>
    /// <param name="providerId">The provider id (any letter case).</param>
    /// <param name="kid">The key id, as the JWKS and tokens carry it (may hold <c>/</c>).</param>
    /// <param name="actor">Who asked, for the audit row.</param>
    /// <param name="cancellationToken">Cancels the persistence write.</param>
    Task<OidcKeyRevocationResult> RevokeAsync(string providerId, string kid, string actor, CancellationToken cancellationToken);

    /// <summary>Lifts a revocation and writes an audit row with <paramref name="actor"/>.</summary>
    /// <param name="providerId">The provider id (any letter case).</param>
    /// <param name="kid">The revoked key id.</param>
    /// <param name="actor">Who asked, for the audit row.</param>
    /// <param name="cancellationToken">Cancels the persistence write.</param>
    Task<OidcKeyRevocationResult> UnrevokeAsync(string providerId, string kid, string actor, CancellationToken cancellationToken);

    /// <summary>The revoked kids of a provider, in ordinal order (empty for an unknown id).</summary>
    /// <param name="providerId">The provider id (any letter case).</param>
    IReadOnlyList<string> GetRevoked(string providerId);
}

/// <summary>The outcome of a revoke or un-revoke.</summary>
public enum OidcKeyRevocationStatus
{
    /// <summary>The revocation now stands (revoke) or is lifted (un-revoke).</summary>
    Done,

    /// <summary>Nothing changed: the kid was already revoked (revoke) or was not revoked (un-revoke).</summary>
    Unchanged,

    /// <summary>No provider has that id.</summary>
    NotFound,

    /// <summary>The kid is empty, too long or not printable ASCII (reason <c>kid_malformed</c>).</summary>
    KidMalformed,
}

/// <summary>The result of <see cref="IOidcKeyRevocations.RevokeAsync"/> or <see cref="IOidcKeyRevocations.UnrevokeAsync"/>.</summary>
public sealed record OidcKeyRevocationResult
{
    /// <summary>What happened.</summary>
    public required OidcKeyRevocationStatus Status { get; init; }

    /// <summary>The canonical provider id, when found.</summary>
    public string? ProviderId { get; init; }

    /// <summary>The provider's revoked kids afterwards.</summary>
    public IReadOnlyList<string> Revoked { get; init; } = [];

    /// <summary>The signing key ids the provider's current key set trusts afterwards (revoked ones left out).</summary>
    public IReadOnlyList<string> Kids { get; init; } = [];
}
