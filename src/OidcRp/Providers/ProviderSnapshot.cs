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
    DateTimeOffset DiscoveryFetchedAt,
    DateTimeOffset KeysFetchedAt,
    long Sequence)
{
    private AlgorithmValidator? _algorithmValidator;

    /// <summary>The token handler's algorithm check for these keys, made once per snapshot rather than per token.</summary>
    public AlgorithmValidator AlgorithmValidator =>
        _algorithmValidator ??= (algorithm, key, _, _) => OidcRp.Callback.IdTokenRules.AlgorithmAllowed(algorithm, key, ValidAlgorithms);

    /// <summary>True when a token naming <paramref name="kid"/> has a key here to verify with.</summary>
    public bool HasKid(string kid) => Kids.Contains(kid);
}
