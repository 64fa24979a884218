using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace OidcRp.Providers;

/// <summary>
/// One entry per configured provider, looked up by id (ignoring case) or by issuer. Entries are created
/// once from the validated options; nothing is fetched until a provider is first used.
/// </summary>
internal sealed class OidcProviderRegistry(IOptions<OidcRpOptions> options)
{
    private readonly Lazy<FrozenDictionary<string, ProviderEntry>> _entries = new(() =>
        options.Value.Providers.ToFrozenDictionary(
            p => p.Key,
            p => new ProviderEntry(p.Value),
            StringComparer.OrdinalIgnoreCase));

    public IEnumerable<ProviderEntry> All => _entries.Value.Values;

    public ProviderEntry? Find(string? id) =>
        id is not null && _entries.Value.TryGetValue(id, out var entry) ? entry : null;

    public ProviderEntry GetRequired(string id) =>
        Find(id) ?? throw new InvalidOperationException($"OidcRp has no provider '{id}'.");

    /// <summary>Finds the provider whose loaded (or configured) issuer is <paramref name="issuer"/>.</summary>
    public ProviderEntry? FindByIssuer(string issuer) =>
        All.FirstOrDefault(e => e.Snapshot is { IssuerRule.IsTemplate: true } loaded
            ? loaded.IssuerRule.Match(issuer, out _) != IssuerCheck.IssuerMismatch // the provider's, allowed tenant or not
            : (e.Snapshot?.Issuer ?? e.Options.ExpectedIssuer) is { } known && MetadataParser.IssuersEqual(known, issuer));
}
