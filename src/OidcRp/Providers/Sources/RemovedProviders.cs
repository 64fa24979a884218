using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace OidcRp.Providers.Sources;

/// <summary>
/// The callback paths of removed providers, for as long as a login started before the removal can come back
/// (the removed version's <c>RemoteAuthenticationTimeout</c>, the correlation cookie's lifetime): such a request is
/// answered with a clear failure and an audit row (<c>provider_removed</c>) instead of a bare 404. After the
/// window the path is unknown again (404). Expired paths are dropped as they are met.
/// </summary>
internal sealed class RemovedProviders(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (string Id, DateTimeOffset Until)> _paths = new(StringComparer.OrdinalIgnoreCase);

    public void Add(ProviderEntry entry, DateTimeOffset until)
    {
        _paths[entry.Options.EffectiveCallbackPath] = (entry.Id, until);
        _paths[entry.Options.EffectiveSignedOutCallbackPath] = (entry.Id, until);
    }

    /// <summary>The provider is back (added again): its paths are its own again.</summary>
    public void Forget(ProviderEntry entry)
    {
        _paths.TryRemove(entry.Options.EffectiveCallbackPath, out _);
        _paths.TryRemove(entry.Options.EffectiveSignedOutCallbackPath, out _);
    }

    /// <summary>The id of the provider removed from <paramref name="path"/> within its window, or null.</summary>
    public string? Find(PathString path)
    {
        if (_paths.IsEmpty || path.Value is not { } value || !_paths.TryGetValue(value, out var removed))
        {
            return null;
        }
        if (time.GetUtcNow() < removed.Until)
        {
            return removed.Id;
        }
        _paths.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(value, removed));
        return null;
    }
}
