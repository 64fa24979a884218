using System.Collections.Concurrent;
using System.Globalization;
using OidcRp.Callback;

namespace OidcRp.Providers.Sources;

/// <summary>
/// Turns a reloaded configuration into per-provider changes against the providers in place. Each provider is
/// checked on its own (<see cref="OidcRpOptionsValidator.ValidateProvider"/>) and against the others' paths and ids;
/// an invalid new version is refused and the old one kept, whatever happens to the other providers.
/// </summary>
internal static class ConfigurationDiff
{
    public static (ConfiguredProviders After, List<ProviderChange> Changes) Apply(ConfiguredProviders before, OidcRpOptions options,
        ConcurrentDictionary<string, ProviderEntry> stored, DateTimeOffset now)
    {
        var changes = new List<ProviderChange>();
        var result = new List<ProviderEntry>();
        var taken = new Dictionary<string, ProviderEntry>(StringComparer.OrdinalIgnoreCase);
        // Paths of the providers that stay as they are come first: a changed provider never takes one of theirs.
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var proposals = new List<(string Key, OidcProviderOptions Options, ProviderEntry? Previous)>();
        foreach (var (key, provider) in options.Providers)
        {
            if (string.IsNullOrEmpty(provider.Id))
            {
                provider.Id = key;
            }
            var previous = before.ById.GetValueOrDefault(key);
            if (previous is not null && string.Equals(previous.Id, key, StringComparison.Ordinal)
                && ProviderChanges.Changed(previous.Options, provider).Count == 0)
            {
                Claim(owners, previous);
            }
            proposals.Add((key, provider, previous));
        }

        foreach (var (key, provider, previous) in proposals)
        {
            if (taken.ContainsKey(key))
            {
                Refuse(changes, key, null, provider, [$"OidcRp:Providers:{key}: duplicate provider id; another differs only in letter case."], now);
                continue;
            }
            var settings = previous is null ? [] : ProviderChanges.Changed(previous.Options, provider);
            if (previous is not null && string.Equals(previous.Id, key, StringComparison.Ordinal) && settings.Count == 0)
            {
                taken[key] = previous;
                result.Add(previous);
                continue;
            }
            var errors = OidcRpOptionsValidator.ValidateProvider(key, provider, fromStore: false);
            if (errors.Count == 0)
            {
                errors.AddRange(PathConflicts(owners, key, provider));
            }
            if (errors.Count > 0)
            {
                Refuse(changes, key, previous, provider, errors, now);
                if (previous is not null)
                {
                    taken[key] = previous;
                    result.Add(previous);
                    Claim(owners, previous);
                }
                continue;
            }
            ProviderChange change;
            if (previous is null || !string.Equals(previous.Id, key, StringComparison.Ordinal))
            {
                if (previous is not null)
                {
                    changes.Add(new ProviderChange(previous.Id, ProviderSource.Configuration, ProviderChangeKind.Removed, previous, null));
                }
                var replaced = stored.GetValueOrDefault(key);
                change = new ProviderChange(key, ProviderSource.Configuration, ProviderChangeKind.Added, replaced, new ProviderEntry(provider));
            }
            else
            {
                var version = (long.Parse(previous.Version, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
                change = ProviderChange.Changed(previous, provider, version, ProviderSource.Configuration, settings, actor: null);
            }
            changes.Add(change);
            taken[key] = change.After!;
            result.Add(change.After!);
            Claim(owners, change.After!);
        }

        foreach (var gone in before.Ordered.Where(e => !taken.ContainsKey(e.Id)))
        {
            changes.Add(new ProviderChange(gone.Id, ProviderSource.Configuration, ProviderChangeKind.Removed, gone, null));
        }
        return (changes.Any(c => c.Kind != ProviderChangeKind.Refused) ? new ConfiguredProviders(result, before.Generation + 1) : before, changes);
    }

    private static void Refuse(List<ProviderChange> changes, string key, ProviderEntry? previous, OidcProviderOptions provider, List<string> errors, DateTimeOffset now)
    {
        var settings = previous is null ? [] : ProviderChanges.Changed(previous.Options, provider);
        previous?.Refused = new RefusedChange(previous.Version + "+", errors, now);
        changes.Add(new ProviderChange(key, ProviderSource.Configuration, ProviderChangeKind.Refused, previous, previous)
        {
            Errors = errors,
            ChangedSettings = settings,
        });
    }

    private static void Claim(Dictionary<string, string> owners, ProviderEntry entry)
    {
        owners.TryAdd(entry.Options.EffectiveCallbackPath, entry.Id);
        owners.TryAdd(entry.Options.EffectiveSignedOutCallbackPath, entry.Id);
    }

    /// <summary>The start-up path checks of <see cref="CallbackPaths.Conflicts"/>, for one provider against those already in place.</summary>
    private static IEnumerable<string> PathConflicts(Dictionary<string, string> owners, string key, OidcProviderOptions provider)
    {
        var paths = new CallbackPaths.ProviderPaths(key, OidcRpOptions.SchemeName(key), provider.EffectiveCallbackPath, provider.EffectiveSignedOutCallbackPath, null, Hooked: false);
        foreach (var error in CallbackPaths.Conflicts([paths]))
        {
            yield return error;
        }
        foreach (var path in new[] { provider.EffectiveCallbackPath, provider.EffectiveSignedOutCallbackPath })
        {
            if (owners.TryGetValue(path, out var owner) && !string.Equals(owner, key, StringComparison.OrdinalIgnoreCase))
            {
                yield return $"OidcRp:Providers:{key}: the path '{path}' is provider '{owner}''s; give each provider its own path.";
            }
        }
    }
}
