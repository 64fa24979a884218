using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace OidcRp.Callback;

/// <summary>
/// The authentication scheme provider with OidcRp's provider schemes kept apart. The stock provider lists
/// every remote scheme as a request handler, so the authentication middleware creates and asks each one's
/// handler on every request (building every provider's handler options on the first), and it copies its
/// scheme arrays on each addition (quadratic start-up). Here the provider schemes live in their own
/// dictionary and the middleware sees one request handler for all of them, <see cref="CallbackDispatcher"/>,
/// in the place of the first provider scheme. Lookups by name, enumeration and the default schemes behave
/// as before.
/// </summary>
internal sealed class OidcRpSchemeProvider(IOptions<AuthenticationOptions> options)
    : AuthenticationSchemeProvider(options)
{
    // Any scheme named oidc:{id} with OidcRp's handler is a provider scheme: providers come and go at run time.
    // Read without the lock on every request; written (under the lock) at start-up and by rare runtime changes.
    private readonly ConcurrentDictionary<string, AuthenticationScheme> _providerSchemes = new(StringComparer.Ordinal);
    private readonly List<AuthenticationScheme> _providerOrder = [];
    private readonly AuthenticationScheme _dispatcher = new(CallbackDispatcher.SchemeName, null, typeof(CallbackDispatcher));
    private readonly Lock _gate = new();
    private readonly AuthenticationOptions _options = options.Value;
    private int _dispatcherPosition = -1;
    private AuthenticationScheme[]? _all;
    private AuthenticationScheme[]? _requestHandlers;

    public override bool TryAddScheme(AuthenticationScheme scheme)
    {
        if (!IsProviderScheme(scheme))
        {
            // The base class takes its own lock: never call it while holding ours (it calls back into this method).
            if (_providerSchemes.ContainsKey(scheme.Name) || !base.TryAddScheme(scheme))
            {
                return false;
            }
            Invalidate();
            return true;
        }
        lock (_gate)
        {
            if (_providerSchemes.ContainsKey(scheme.Name) || base.GetSchemeAsync(scheme.Name).Result is not null)
            {
                return false;
            }
            if (_dispatcherPosition < 0)
            {
                _dispatcherPosition = base.GetRequestHandlerSchemesAsync().Result.Count();
            }
            _providerSchemes[scheme.Name] = scheme;
            _providerOrder.Add(scheme);
            InvalidateLocked();
            return true;
        }
    }

    private static bool IsProviderScheme(AuthenticationScheme scheme) =>
        scheme.HandlerType == typeof(OidcRpHandler) && scheme.Name.StartsWith(OidcRpOptions.SchemePrefix, StringComparison.Ordinal);

    /// <summary>Adds a provider's scheme, or replaces it in place (a new display name) with no moment without one.</summary>
    internal void SetProviderScheme(AuthenticationScheme scheme)
    {
        lock (_gate)
        {
            if (_providerSchemes.TryGetValue(scheme.Name, out var old))
            {
                _providerOrder[_providerOrder.IndexOf(old)] = scheme;
                _providerSchemes[scheme.Name] = scheme;
                InvalidateLocked();
                return;
            }
        }
        TryAddScheme(scheme);
    }

    public override void RemoveScheme(string name)
    {
        lock (_gate)
        {
            if (_providerSchemes.TryRemove(name, out var scheme))
            {
                _providerOrder.Remove(scheme);
                InvalidateLocked();
                return;
            }
        }
        base.RemoveScheme(name);
        Invalidate();
    }

    public override Task<AuthenticationScheme?> GetSchemeAsync(string name) =>
        _providerSchemes.TryGetValue(name, out var scheme) ? Task.FromResult<AuthenticationScheme?>(scheme)
        : name == CallbackDispatcher.SchemeName && base.GetSchemeAsync(name).Result is null ? Task.FromResult<AuthenticationScheme?>(_dispatcher)
        : base.GetSchemeAsync(name);

    public override Task<IEnumerable<AuthenticationScheme>> GetAllSchemesAsync()
    {
        var all = Volatile.Read(ref _all);
        if (all is null)
        {
            lock (_gate)
            {
                all = [.. base.GetAllSchemesAsync().Result, .. _providerOrder];
                _all = all;
            }
        }
        return Task.FromResult<IEnumerable<AuthenticationScheme>>(all);
    }

    public override Task<IEnumerable<AuthenticationScheme>> GetRequestHandlerSchemesAsync()
    {
        var handlers = Volatile.Read(ref _requestHandlers);
        if (handlers is null)
        {
            lock (_gate)
            {
                var others = base.GetRequestHandlerSchemesAsync().Result.ToList();
                // Always there, even with no provider loaded: a store provider's callback (or a removed
                // provider's, answered provider_removed) can arrive before any provider is in memory.
                others.Insert(_dispatcherPosition < 0 ? others.Count : Math.Min(_dispatcherPosition, others.Count), _dispatcher);
                handlers = [.. others];
                _requestHandlers = handlers;
            }
        }
        return Task.FromResult<IEnumerable<AuthenticationScheme>>(handlers);
    }

    // The base class picks its automatic default from its own dictionary only; these count the provider schemes too.
    public override Task<AuthenticationScheme?> GetDefaultAuthenticateSchemeAsync() => DefaultAsync(_options.DefaultAuthenticateScheme);

    public override Task<AuthenticationScheme?> GetDefaultChallengeSchemeAsync() => DefaultAsync(_options.DefaultChallengeScheme);

    public override Task<AuthenticationScheme?> GetDefaultForbidSchemeAsync() =>
        _options.DefaultForbidScheme is { } name ? GetSchemeAsync(name) : GetDefaultChallengeSchemeAsync();

    public override Task<AuthenticationScheme?> GetDefaultSignInSchemeAsync() => DefaultAsync(_options.DefaultSignInScheme);

    public override Task<AuthenticationScheme?> GetDefaultSignOutSchemeAsync() =>
        _options.DefaultSignOutScheme is { } name ? GetSchemeAsync(name) : GetDefaultSignInSchemeAsync();

    private static readonly bool SuppressAutoDefaultScheme =
        AppContext.TryGetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", out var suppress) && suppress;

    private Task<AuthenticationScheme?> DefaultAsync(string? specific)
    {
        if ((specific ?? _options.DefaultScheme) is { } name)
        {
            return GetSchemeAsync(name);
        }
        // As the base class: with no default named and exactly one scheme, that one.
        var all = (AuthenticationScheme[])GetAllSchemesAsync().Result;
        return Task.FromResult(!SuppressAutoDefaultScheme && all.Length == 1 ? all[0] : null);
    }

    private void Invalidate()
    {
        lock (_gate)
        {
            InvalidateLocked();
        }
    }

    private void InvalidateLocked()
    {
        _all = null;
        _requestHandlers = null;
    }
}
