using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>Adds one stock OpenIdConnect scheme per provider, lazily, from the validated options.</summary>
internal sealed class ConfigureAuthenticationSchemes(IOptions<OidcRpOptions> options) : IConfigureOptions<AuthenticationOptions>
{
    public void Configure(AuthenticationOptions authentication)
    {
        foreach (var provider in options.Value.Providers.Values)
        {
            var name = OidcRpOptions.SchemeName(provider.Id);
            if (authentication.SchemeMap.ContainsKey(name))
            {
                continue;
            }
            authentication.AddScheme(name, scheme =>
            {
                scheme.HandlerType = typeof(OidcRpHandler);
                scheme.DisplayName = provider.EffectiveDisplayName;
            });
        }
    }
}

/// <summary>
/// Sets up each provider's stock <see cref="OpenIdConnectOptions"/>: code flow with PKCE S256, nonce,
/// state protected per scheme, configuration from the registry only, ID tokens through the recovering
/// validator; then the application's hook; then (post-configure) re-asserts what OidcRp depends on.
/// </summary>
internal sealed class ConfigureProviderSchemes(
    IOptions<OidcRpOptions> rpOptions,
    IOptions<AuthenticationOptions> authenticationOptions,
    OidcProviderRegistry registry,
    KeyRefresher refresher,
    RecoveringTokenValidator validator,
    CallbackAuditor auditor,
    CallbackReplayGuard replayGuard,
    IHttpContextAccessor httpContextAccessor,
    OidcRpHttp http,
    TimeProvider time,
    ILoggerFactory loggerFactory)
    : IConfigureNamedOptions<OpenIdConnectOptions>, IPostConfigureOptions<OpenIdConnectOptions>
{
    public void Configure(OpenIdConnectOptions options) { }

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (Find(name) is not { } entry)
        {
            return;
        }
        var provider = entry.Options;
        options.Authority = provider.Authority;
        options.MetadataAddress = provider.EffectiveMetadataAddress.AbsoluteUri;
        options.RequireHttpsMetadata = provider.RequireHttpsMetadata;
        options.ClientId = provider.ClientId;
        options.ClientSecret = provider.ClientSecret;
        options.ResponseType = OpenIdConnectResponseType.Code;
        options.UsePkce = true;
        options.Scope.Clear();
        foreach (var scope in provider.EffectiveScopes)
        {
            options.Scope.Add(scope);
        }
        options.CallbackPath = provider.EffectiveCallbackPath;
        options.SignedOutCallbackPath = provider.EffectiveSignedOutCallbackPath;
        if (FlowCookies.Scope($"{Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.Prefix}/{provider.Id}/login", provider.EffectiveCallbackPath) is { } cookieScope)
        {
            FlowCookies.Apply(options, cookieScope);
        }
        options.SignInScheme ??= rpOptions.Value.SignInScheme
            ?? authenticationOptions.Value.DefaultSignInScheme
            ?? authenticationOptions.Value.DefaultScheme;
        options.SaveTokens = false;
        options.GetClaimsFromUserInfoEndpoint = provider.GetClaimsFromUserInfoEndpoint;
        // The response mode and client authentication are chosen per request from the discovery document
        // (AuthorizationRequests, OidcRpHandler); PAR as the stock handler does it, when advertised and not turned off.
        options.PushedAuthorizationBehavior = provider.PushedAuthorization ? PushedAuthorizationBehavior.UseIfAvailable : PushedAuthorizationBehavior.Disable;
        options.Prompt = provider.Prompt;
        options.MaxAge = provider.MaxAge;
        options.MapInboundClaims = false;
        options.DisableTelemetry = true;
        options.TokenValidationParameters.ValidAudience = provider.ClientId;
        options.TokenValidationParameters.NameClaimType = "name";
        options.TokenValidationParameters.RoleClaimType = "roles";
        // OidcRp's own handler: no app-wide retry can POST the same code twice (RFC 6749 §4.1.2: single use).
        options.Backchannel = http.CreateClient();
        // The token endpoint's answer: same time and size limits as discovery and JWKS (the stock
        // handler buffers the whole response, up to 2 GB by default).
        options.Backchannel.Timeout = refresher.Policy.Options.FetchTimeout;
        options.Backchannel.MaxResponseContentBufferSize = refresher.Policy.Options.MaxResponseBytes;
        Enforce(entry, options);

        rpOptions.Value.ConfigureHandler?.Invoke(provider, options);
        provider.ConfigureHandler?.Invoke(options);
    }

    public void PostConfigure(string? name, OpenIdConnectOptions options)
    {
        if (Find(name) is { } entry)
        {
            Enforce(entry, options);
        }
    }

    /// <summary>What OidcRp's guarantees rest on; an application hook cannot undo it.</summary>
    private void Enforce(ProviderEntry entry, OpenIdConnectOptions options)
    {
        if (options.EventsType is not null)
        {
            throw new InvalidOperationException($"OidcRp provider '{entry.Id}': OpenIdConnectOptions.EventsType is not supported; set delegates on Options.Events in ConfigureHandler instead.");
        }
        if (options.UseSecurityTokenValidator)
        {
            throw new InvalidOperationException($"OidcRp provider '{entry.Id}': UseSecurityTokenValidator must stay false; OidcRp validates ID tokens through TokenHandler.");
        }
        if (string.Equals(options.ClaimsIssuer, OidcRpClaimTypes.Issuer, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"OidcRp provider '{entry.Id}': ClaimsIssuer '{OidcRpClaimTypes.Issuer}' is reserved for the claims OidcRp issues itself.");
        }
        // Only the registry fetches metadata, and the stock handler's RequestRefresh never reaches the OP.
        if (options.ConfigurationManager is not RegistryConfigurationManager)
        {
            options.ConfigurationManager = new RegistryConfigurationManager(entry, refresher, loggerFactory.CreateLogger<RegistryConfigurationManager>());
        }
        options.Configuration = null;
        options.RefreshOnIssuerKeyNotFound = false;
        // PKCE S256 on every request (RFC 9700 §2.1.1), whatever the provider lists: the stock handler sends it for
        // the code flow only, and never plain.
        options.ResponseType = OpenIdConnectResponseType.Code;
        options.UsePkce = true;
        if (options.TokenHandler is not RecoveringTokenHandler)
        {
            var inner = options.TokenHandler as JsonWebTokenHandler
                ?? throw new InvalidOperationException($"OidcRp provider '{entry.Id}': TokenHandler must be a JsonWebTokenHandler.");
            inner.MapInboundClaims = options.MapInboundClaims;
            options.TokenHandler = new RecoveringTokenHandler(entry, validator, httpContextAccessor, inner);
        }
        if (options.Events is not OidcRpEvents)
        {
            options.Events = new OidcRpEvents(entry, auditor, replayGuard, time) { Inner = options.Events };
        }
    }

    private ProviderEntry? Find(string? name) =>
        name is not null && name.StartsWith(OidcRpOptions.SchemePrefix, StringComparison.Ordinal)
            ? registry.Find(name[OidcRpOptions.SchemePrefix.Length..])
            : null;
}
