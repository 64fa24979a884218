using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using OidcRp.Providers;

namespace OidcRp.Bearer;

/// <summary>
/// Finds the provider of a bearer token by its <c>iss</c>, per bearer scheme: a dictionary lookup for exact issuers, then
/// the issuer rule of each template provider (Entra ID <c>{tenantid}</c>), never the keys. A token whose <c>iss</c> names
/// no provider costs that lookup. A provider known only by a metadata address (no <c>Authority</c> or <c>Issuer</c>) is
/// loaded when a token's issuer is not found (each once; a failing one under its own retry backoff), and the index rebuilt.
/// <see cref="Invalidate"/> rebuilds every scheme's index: the registry calls it when providers change at run time.
/// </summary>
internal sealed class BearerIssuerIndex(OidcProviderRegistry registry, IOptionsMonitor<OidcRpBearerOptions> options, KeyRefresher refresher)
{
    private readonly ConcurrentDictionary<string, SchemeIndex> _schemes = new(StringComparer.Ordinal);

    /// <summary>Forgets every index (providers were added, changed or removed).</summary>
    public void Invalidate() => _schemes.Clear();

    /// <summary>The providers a token of <paramref name="iss"/> may come from (several when one OP is registered several times), or null.</summary>
    public async ValueTask<BearerCandidate[]?> FindAsync(string scheme, string? iss, CancellationToken cancellationToken)
    {
        var index = _schemes.GetOrAdd(scheme, Build);
        if (iss is null)
        {
            return null;
        }
        if (index.Find(iss) is { } found)
        {
            return found;
        }
        if (index.Pending.Length == 0)
        {
            return null;
        }
        foreach (var candidate in index.Pending)
        {
            await refresher.EnsureLoadedAsync(candidate.Entry, cancellationToken);
        }
        if (!index.Pending.Any(c => c.Entry.Snapshot is not null))
        {
            return null;
        }
        var rebuilt = Build(scheme);
        _schemes[scheme] = rebuilt;
        return rebuilt.Find(iss);
    }

    /// <summary>The accepted providers of <paramref name="scheme"/>, with their settings (for the options validator and tests).</summary>
    internal IReadOnlyList<BearerCandidate> Candidates(string scheme) => _schemes.GetOrAdd(scheme, Build).All;

    private SchemeIndex Build(string scheme)
    {
        var api = options.Get(scheme);
        var accepted = api.Providers.Count == 0
            ? registry.All.Select(e => (Entry: e, Own: (OidcRpBearerProviderOptions?)null))
            : api.Providers.Select(p => (Entry: registry.Find(p.Key)!, Own: (OidcRpBearerProviderOptions?)p.Value)).Where(p => p.Entry is not null);
        var exact = new Dictionary<string, List<BearerCandidate>>(StringComparer.Ordinal);
        var templates = new List<BearerCandidate>();
        var pending = new List<BearerCandidate>();
        var all = new List<BearerCandidate>();
        foreach (var (entry, own) in accepted)
        {
            var settings = BearerSettings.For(api, own);
            var candidate = new BearerCandidate(entry, settings, settings.PinnedKeys.Count > 0 ? PinnedKeys.Snapshot(entry.Options, settings) : null);
            all.Add(candidate);
            if (IssuerRule.IsTemplateProvider(entry.Options))
            {
                templates.Add(candidate);
                continue;
            }
            var issuer = candidate.Pinned?.Issuer ?? entry.Snapshot?.Issuer ?? entry.Options.ExpectedIssuer;
            if (issuer is null)
            {
                pending.Add(candidate);
                continue;
            }
            // Discovery may name the configured issuer with or without a final slash; the issuer rule then decides exactly.
            foreach (var key in new[] { issuer, issuer.TrimEnd('/'), issuer.TrimEnd('/') + "/" }.Distinct(StringComparer.Ordinal))
            {
                if (!exact.TryGetValue(key, out var list))
                {
                    exact[key] = list = [];
                }
                list.Add(candidate);
            }
        }
        return new SchemeIndex(exact.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal), [.. templates], [.. pending], all);
    }

    internal sealed class SchemeIndex(FrozenDictionary<string, BearerCandidate[]> exact, BearerCandidate[] templates, BearerCandidate[] pending,
        IReadOnlyList<BearerCandidate> all)
    {
        public BearerCandidate[] Pending { get; } = pending;

        public IReadOnlyList<BearerCandidate> All { get; } = all;

        public BearerCandidate[]? Find(string iss)
        {
            if (exact.TryGetValue(iss, out var found))
            {
                return found;
            }
            List<BearerCandidate>? matches = null;
            foreach (var candidate in templates)
            {
                var rule = candidate.Entry.Snapshot?.IssuerRule ?? IssuerRule.For(candidate.Entry.Options, "");
                if (rule.Match(iss, out _) != IssuerCheck.IssuerMismatch)
                {
                    (matches ??= []).Add(candidate);
                }
            }
            return matches?.ToArray();
        }
    }
}
