using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>
/// The handler options cache of the stock OpenIdConnect handlers, which never hands out options built for a
/// provider version that is no longer the current one. The options of one request are read once, when its handler
/// is made, and they hold one provider version throughout (its entry, events, token handler and configuration
/// manager), so a login never sees half of each version. Dropping the scheme's options when a provider changes
/// (<see cref="IOptionsMonitorCache{TOptions}.TryRemove"/>) is not enough on its own: a build that started before the
/// change can add its options after the removal; they are recognised here by their entry and built again.
/// </summary>
internal sealed class ProviderHandlerOptionsCache(OidcProviderRegistry registry) : IOptionsMonitorCache<OpenIdConnectOptions>
{
    private readonly OptionsCache<OpenIdConnectOptions> _inner = new();

    public OpenIdConnectOptions GetOrAdd(string? name, Func<OpenIdConnectOptions> createOptions)
    {
        for (var attempt = 0; ; attempt++)
        {
            var options = _inner.GetOrAdd(name, createOptions);
            // Three rounds: only a provider changing faster than options build could get past them, and then its
            // options are of a version that was current a moment ago, never a mix.
            if (attempt >= 2 || IsCurrent(name, options))
            {
                return options;
            }
            _inner.TryRemove(name);
        }
    }

    public bool TryAdd(string? name, OpenIdConnectOptions options) => _inner.TryAdd(name, options);

    public bool TryRemove(string? name) => _inner.TryRemove(name);

    public void Clear() => _inner.Clear();

    private bool IsCurrent(string? name, OpenIdConnectOptions options)
    {
        if (name is null || !name.StartsWith(OidcRpOptions.SchemePrefix, StringComparison.Ordinal))
        {
            return true;
        }
        var current = registry.Find(name[OidcRpOptions.SchemePrefix.Length..]);
        return options.Events is OidcRpEvents events ? ReferenceEquals(events.Entry, current) : current is null;
    }
}
