using OidcRp.Providers;

namespace OidcRp.Bearer;

/// <summary>One accepted provider's effective bearer settings: its overrides, else the API's.</summary>
internal sealed record BearerSettings(
    IReadOnlyList<string> Audiences,
    IReadOnlyList<string> RequiredScopes,
    IReadOnlyList<string> RequiredRoles,
    IReadOnlyList<string> TokenTypes,
    IReadOnlyList<string>? Algorithms,
    TimeSpan ClockSkew,
    IReadOnlyList<string> PinnedKeys)
{
    public static BearerSettings For(OidcRpBearerOptions api, OidcRpBearerProviderOptions? provider)
    {
        static IReadOnlyList<string> Pick(IList<string>? own, IList<string> shared) =>
            [.. (own is { Count: > 0 } ? own : shared).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim())];
        var types = Pick(provider?.TokenTypes, api.TokenTypes).Select(BearerTokenRules.NormalizeType).ToList();
        var algorithms = Pick(provider?.Algorithms, api.Algorithms);
        return new BearerSettings(
            Pick(provider?.Audiences, api.Audiences),
            Pick(provider?.RequiredScopes, api.RequiredScopes),
            Pick(provider?.RequiredRoles, api.RequiredRoles),
            types.Count == 0 ? [OidcRpBearerDefaults.AccessTokenType] : types,
            algorithms.Count == 0 ? null : algorithms,
            provider?.ClockSkew ?? api.ClockSkew,
            provider is null ? [] : [.. provider.PinnedKeys.Where(k => !string.IsNullOrWhiteSpace(k))]);
    }
}

/// <summary>
/// An accepted provider with its settings, and the token validation parameters made for its current keys (one set per
/// snapshot, reused by every token until the next fetch: the handler only reads them).
/// </summary>
internal sealed class BearerCandidate(ProviderEntry entry, BearerSettings settings, ProviderSnapshot? pinned)
{
    public ProviderEntry Entry { get; } = entry;

    public BearerSettings Settings { get; } = settings;

    /// <summary>The keys configured in <see cref="OidcRpBearerProviderOptions.PinnedKeys"/>, which replace fetching for this API.</summary>
    public ProviderSnapshot? Pinned { get; } = pinned;

    /// <summary>The last parameters built, for the snapshot and revocation state they were built for. Replaced whole.</summary>
    internal CachedParameters? Cached { get; set; }
}

internal sealed record CachedParameters(ProviderSnapshot Snapshot, int RevokedVersion, Microsoft.IdentityModel.Tokens.TokenValidationParameters Parameters);
