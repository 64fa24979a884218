using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OidcRp.Callback;

/// <summary>
/// Which provider schemes answer which request path (callback, signed-out callback, and the remote sign-out
/// path for providers with front-channel logout on), in provider order, built once and checked for conflicts. A provider's paths come from its <see cref="OidcProviderOptions"/> without
/// building its handler options, so unused providers stay unloaded; where an application hook could change
/// the handler's paths (<c>ConfigureHandler</c>, or its own configure actions for OpenIdConnectOptions), that
/// provider's handler options are built here and their paths used.
/// </summary>
/// <remarks>
/// The configuration providers' paths only: the map is rebuilt whole on the first request after the registry's
/// configuration providers changed (<see cref="Providers.OidcProviderRegistry.ConfigurationGeneration"/>) and swapped
/// in at once. Store providers use the default paths and are found by their shape (<see cref="CallbackDispatcher"/>).
/// </remarks>
internal sealed class CallbackPaths(
    IOptions<OidcRpOptions> rpOptions,
    Providers.OidcProviderRegistry registry,
    IOptionsMonitor<OpenIdConnectOptions> handlerOptions,
    IEnumerable<IConfigureOptions<OpenIdConnectOptions>> configures,
    IEnumerable<IPostConfigureOptions<OpenIdConnectOptions>> postConfigures,
    Microsoft.Extensions.Logging.ILogger<CallbackPaths> logger)
{
    private sealed record Map(long Generation, Dictionary<string, string[]> Paths);

    private Map? _map;

    public bool TryGetSchemes(PathString path, [NotNullWhen(true)] out string[]? schemes)
    {
        var map = Volatile.Read(ref _map);
        if (map is null || map.Generation != registry.ConfigurationGeneration)
        {
            map = Build(startUp: false);
        }
        return map.Paths.TryGetValue(path.Value ?? "", out schemes);
    }

    /// <summary>Builds the map now, so that conflicting paths stop the application at start-up (<see cref="CallbackPathGuard"/>).</summary>
    public void EnsureValid() => _ = Build(startUp: true);

    private Map Build(bool startUp)
    {
        var generation = registry.ConfigurationGeneration;
        var providers = Effective();
        if (Conflicts(providers) is { Count: > 0 } errors)
        {
            if (startUp)
            {
                throw new OptionsValidationException(Options.DefaultName, typeof(OidcRpOptions), errors);
            }
            // At run time each change was checked before it was applied; what is left comes from an application
            // hook that moved a path. The first provider keeps the path, as the stock middleware would.
            Diagnostics.Log.ProviderPathConflict(logger, string.Join(" ", errors));
        }
        // PathString compares ignoring case, as the stock handler matches its paths.
        var map = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in providers)
        {
            Add(map, p.Callback, p.Scheme);
            Add(map, p.SignedOut, p.Scheme);
            if (p.RemoteSignOut is { } remote)
            {
                Add(map, remote, p.Scheme);
            }
        }
        // Read-only once published, so a plain dictionary is safe to share (and quicker to build than a frozen one).
        var built = new Map(generation, map.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.OrdinalIgnoreCase));
        Volatile.Write(ref _map, built);
        return built;
    }

    /// <summary>
    /// Each provider's paths as its handler will match them. The remote sign-out path only for a provider with
    /// <see cref="OidcProviderOptions.FrontChannelLogout"/> on: otherwise a cross-site GET to it could sign a
    /// user out (OidcRpHandler refuses it too, for applications that keep the stock scheme provider).
    /// </summary>
    private List<ProviderPaths> Effective()
    {
        var rp = rpOptions.Value;
        var configured = registry.ConfiguredEntries;
        var schemeNames = configured.Select(e => e.SchemeName).ToHashSet(StringComparer.Ordinal);
        var (hookAll, hooked) = Hooks(schemeNames);
        hookAll |= rp.ConfigureHandler is not null;
        var defaultRemoteSignOut = new OpenIdConnectOptions().RemoteSignOutPath;
        var result = new List<ProviderPaths>(configured.Count);
        foreach (var provider in configured.Select(e => e.Options))
        {
            var scheme = OidcRpOptions.SchemeName(provider.Id);
            if (hookAll || hooked.Contains(scheme) || provider.ConfigureHandler is not null)
            {
                var o = handlerOptions.Get(scheme);
                result.Add(new(provider.Id, scheme, o.CallbackPath, o.SignedOutCallbackPath,
                    provider.FrontChannelLogout ? o.RemoteSignOutPath : null, Hooked: true));
            }
            else
            {
                result.Add(new(provider.Id, scheme, provider.EffectiveCallbackPath, provider.EffectiveSignedOutCallbackPath,
                    provider.FrontChannelLogout ? defaultRemoteSignOut : null, Hooked: false));
            }
        }
        return result;
    }

    /// <summary>
    /// Every path answers for one provider: the stock handler takes a request on its path whatever the flow,
    /// so of two providers on one callback path only the first could ever sign in. Exceptions: the remote
    /// sign-out path, which providers share (the stock handler checks the signed-in ticket, not the scheme).
    /// Paths compare ignoring case, as <see cref="PathString"/> does. Every conflict is reported at once.
    /// </summary>
    internal static List<string> Conflicts(IReadOnlyList<ProviderPaths> providers)
    {
        var errors = new List<string>();
        var owners = new Dictionary<string, (ProviderPaths Provider, string Name)>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in providers)
        {
            foreach (var (name, path) in new[] { ("CallbackPath", p.Callback), ("SignedOutCallbackPath", p.SignedOut) })
            {
                if (!path.HasValue)
                {
                    continue;
                }
                if (Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.IsRoute(path.Value!))
                {
                    errors.Add($"OidcRp provider '{p.Id}': {name} '{path}'{p.Note} is one of OidcRp's own routes; give it another path.");
                }
                else if (owners.TryGetValue(path.Value!, out var owner))
                {
                    errors.Add(owner.Provider.Id == p.Id
                        ? $"OidcRp provider '{p.Id}': CallbackPath and SignedOutCallbackPath are both '{path}'{p.Note}; each needs its own path."
                        : $"OidcRp providers '{owner.Provider.Id}' and '{p.Id}' both use the path '{path}' ({owner.Provider.Id}: {owner.Name}{owner.Provider.Note}; {p.Id}: {name}{p.Note}); only '{owner.Provider.Id}' would ever answer it. Give each provider its own path.");
                }
                else
                {
                    owners[path.Value!] = (p, name);
                }
            }
        }
        foreach (var p in providers)
        {
            if (p.RemoteSignOut is not { HasValue: true } remote)
            {
                continue;
            }
            if (owners.TryGetValue(remote.Value!, out var owner))
            {
                errors.Add($"OidcRp provider '{p.Id}': RemoteSignOutPath '{remote}'{p.Note} is provider '{owner.Provider.Id}''s {owner.Name}; give it another path.");
            }
            else if (Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.IsRoute(remote.Value!))
            {
                errors.Add($"OidcRp provider '{p.Id}': RemoteSignOutPath '{remote}'{p.Note} is one of OidcRp's own routes; give it another path.");
            }
        }
        return errors;
    }

    /// <summary>Adds <paramref name="scheme"/> under <paramref name="path"/> unless empty (many providers share the remote sign-out path).</summary>
    private static void Add(Dictionary<string, List<string>> map, PathString path, string scheme)
    {
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

    /// <summary>One provider's paths as its handler matches them; <c>Hooked</c> when an application hook could have moved them.</summary>
    internal sealed record ProviderPaths(string Id, string Scheme, PathString Callback, PathString SignedOut, PathString? RemoteSignOut, bool Hooked)
    {
        public string Note => Hooked ? " (after application hooks)" : "";
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
