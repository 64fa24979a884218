using System.Collections.Frozen;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Providers;

/// <summary>
/// One provider's validated metadata and signing keys, as fetched together. Immutable: a refresh
/// builds a new snapshot and swaps it in whole, so a reader never sees half of a rotation.
/// </summary>
internal sealed record ProviderSnapshot(
    OpenIdConnectConfiguration Configuration,
    string Issuer,
    IReadOnlyList<SecurityKey> SigningKeys,
    FrozenSet<string> Kids,
    bool EveryKeyHasKid,
    IReadOnlyList<string> ValidAlgorithms,
    string Fingerprint,
    KeyBindings Bindings,
    DateTimeOffset DiscoveryFetchedAt,
    DateTimeOffset KeysFetchedAt,
    long Sequence)
{
    private AlgorithmValidator? _algorithmValidator;
    private IssuerRule? _issuerRule;
    private IssuerSigningKeyValidator? _keyIssuerValidator;

    /// <summary>The documents as the OP served them, for a farm's shared snapshot (null when unknown).</summary>
    public SnapshotDocuments? Documents { get; init; }

    /// <summary>How this provider's issuer is checked everywhere (exact, or an Entra ID style <c>{tenantid}</c> template).</summary>
    public IssuerRule IssuerRule { get => _issuerRule ??= IssuerRule.Exact(Issuer); init => _issuerRule = value; }

    /// <summary>A key whose JWKS entry names an <c>issuer</c> verifies only that issuer's tokens (<see cref="IssuerRule.KeyAllows"/>).</summary>
    public IssuerSigningKeyValidator KeyIssuerValidator =>
        _keyIssuerValidator ??= (key, token, _) => IssuerRule.KeyAllows(Bindings.For(key)?.Issuer, token);

    /// <summary>The token handler's algorithm check for these keys, made once per snapshot rather than per token.</summary>
    public AlgorithmValidator AlgorithmValidator =>
        _algorithmValidator ??= (algorithm, key, _, _) => AlgorithmAllowed(algorithm, key);

    /// <summary>
    /// An algorithm is allowed for a key when the provider allows it and the JWKS entry did not bind the key
    /// to another one (RFC 8725 §3.1).
    /// </summary>
    public bool AlgorithmAllowed(string algorithm, SecurityKey key)
    {
        foreach (var allowed in ValidAlgorithms)
        {
            if (string.Equals(allowed, algorithm, StringComparison.Ordinal))
            {
                return Bindings.Allows(key, algorithm);
            }
        }
        return false;
    }

    /// <summary>False when every key published under <paramref name="kid"/> is bound to an algorithm other than the token's.</summary>
    public bool KidAllowsAlgorithm(string kid, string algorithm)
    {
        var any = false;
        foreach (var key in SigningKeys)
        {
            if (!string.Equals(key.KeyId, kid, StringComparison.Ordinal))
            {
                continue;
            }
            any = true;
            if (Bindings.Allows(key, algorithm))
            {
                return true;
            }
        }
        return !any; // an unknown kid is the kid-miss rule's business
    }

    /// <summary>
    /// The same keys and metadata under <paramref name="options"/> (a new version of the provider whose metadata
    /// address and issuer did not change): the algorithm policy and issuer rule are recomputed, no fetch is made.
    /// A new record, not <c>with</c>: the cached validators close over the old one.
    /// </summary>
    public ProviderSnapshot Rebind(OidcProviderOptions options) =>
        new(Configuration, Issuer, SigningKeys, Kids, EveryKeyHasKid, MetadataParser.ValidAlgorithms(Configuration, options.SigningAlgorithms),
            Fingerprint, Bindings, DiscoveryFetchedAt, KeysFetchedAt, Sequence)
        {
            IssuerRule = IssuerRule.For(options, Issuer),
            Documents = Documents,
        };

    /// <summary>True when a token naming <paramref name="kid"/> has a key here to verify with.</summary>
    public bool HasKid(string kid) => Kids.Contains(kid);
}

/// <summary>A provider's discovery and JWKS documents as fetched (what a farm shares, MAC-protected).</summary>
internal sealed record SnapshotDocuments(string Discovery, string Jwks);
