using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OidcRp.Callback;

/// <summary>
/// Which provider schemes answer which request path (callback, signed-out callback, remote sign-out), in
/// provider order, built once. A provider's paths come from its <see cref="OidcProviderOptions"/> without
/// building its handler options, so unused providers stay unloaded; where an application hook could change
/// the handler's paths (<c>ConfigureHandler</c>, or its own configure actions for OpenIdConnectOptions), that
/// provider's handler options are built here and their paths used.
/// </summary>
internal sealed class CallbackPaths(
    IOptions<OidcRpOptions> rpOptions,
    IOptionsMonitor<OpenIdConnectOptions> handlerOptions,
    IEnumerable<IConfigureOptions<OpenIdConnectOptions>> configures,
    IEnumerable<IPostConfigureOptions<OpenIdConnectOptions>> postConfigures)
{
    private Dictionary<string, string[]>? _map;

    public bool TryGetSchemes(PathString path, [NotNullWhen(true)] out string[]? schemes) =>
        (_map ?? Build()).TryGetValue(path.Value ?? "", out schemes);

    private Dictionary<string, string[]> Build()
    {
        var rp = rpOptions.Value;
        var schemeNames = rp.Providers.Values.Select(p => OidcRpOptions.SchemeName(p.Id)).ToHashSet(StringComparer.Ordinal);
        var (hookAll, hooked) = Hooks(schemeNames);
        hookAll |= rp.ConfigureHandler is not null;
        var defaultRemoteSignOut = new OpenIdConnectOptions().RemoteSignOutPath;

        // PathString compares ignoring case, as the stock handler matches its paths.
        var map = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in rp.Providers.Values)
        {
            var scheme = OidcRpOptions.SchemeName(provider.Id);
            if (hookAll || hooked.Contains(scheme) || provider.ConfigureHandler is not null)
            {
                var o = handlerOptions.Get(scheme);
                Add(map, o.CallbackPath, scheme);
                Add(map, o.SignedOutCallbackPath, scheme, o.CallbackPath);
                Add(map, o.RemoteSignOutPath, scheme, o.CallbackPath, o.SignedOutCallbackPath);
            }
            else
            {
                PathString callback = provider.EffectiveCallbackPath, signedOut = provider.EffectiveSignedOutCallbackPath;
                Add(map, callback, scheme);
                Add(map, signedOut, scheme, callback);
                Add(map, defaultRemoteSignOut, scheme, callback, signedOut);
            }
        }
        // Read-only once published, so a plain dictionary is safe to share (and quicker to build than a frozen one).
        var built = map.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
        Interlocked.CompareExchange(ref _map, built, null);
        return _map;
    }

    /// <summary>Adds <paramref name="scheme"/> under <paramref name="path"/> unless empty or one of its earlier paths (many providers share one path).</summary>
    private static void Add(Dictionary<string, List<string>> map, PathString path, string scheme, params ReadOnlySpan<PathString> earlier)
    {
        foreach (var other in earlier)
        {
            if (other == path)
            {
                return;
            }
        }
        if (!path.HasValue)
        {
            return;
        }
        if (!map.TryGetValue(path.Value!, out var list))
        {
            map[path.Value!] = list = [];
        }
        list.Add(scheme);
    }

    /// <summary>
    /// The application's own configure actions for OpenIdConnectOptions: one without a name reaches every
    /// provider; a named one, that scheme. OidcRp's, the stock post-configure and the stock configuration
    /// binder (section <c>Authentication:Schemes</c>, which OidcRp's providers do not use) are not hooks.
    /// </summary>
    private (bool All, HashSet<string> Named) Hooks(HashSet<string> schemeNames)
    {
        var all = false;
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hook in configures.Cast<object>().Concat(postConfigures))
        {
            var type = hook.GetType();
            if (hook is ConfigureProviderSchemes or OpenIdConnectPostConfigureOptions
                || type.FullName == "Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectConfigureOptions")
            {
                continue;
            }
            var nameProperty = type.GetProperty("Name");
            if (nameProperty is null)
            {
                all = true; // an unknown kind of configure action: assume it touches every scheme
                continue;
            }
            switch (nameProperty.GetValue(hook) as string)
            {
                case null:
                    all = true;
                    break;
                case var name when schemeNames.Contains(name):
                    named.Add(name);
                    break;
            }
        }
        return (all, named);
    }
}
