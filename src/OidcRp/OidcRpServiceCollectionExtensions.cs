using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp;
using OidcRp.Admin;
using OidcRp.Audit;
using OidcRp.Callback;
using OidcRp.Diagnostics;
using OidcRp.Providers;

#pragma warning disable IDE0130 // extension methods live in the namespace their users already import
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers OidcRp: one stock OpenIdConnect scheme per configured provider, fed by OidcRp's registry.</summary>
public static class OidcRpServiceCollectionExtensions
{
    /// <summary>
    /// Adds every provider of <paramref name="configuration"/> (the <c>OidcRp</c> section) as an
    /// OpenIdConnect scheme named <c>oidc:{id}</c>. Options are validated at start-up.
    /// </summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configuration">The <c>OidcRp</c> configuration section.</param>
    /// <param name="configure">Optional code configuration, applied after the section.</param>
    /// <returns>The authentication builder.</returns>
    public static AuthenticationBuilder AddMultiOidc(this AuthenticationBuilder builder, IConfiguration configuration, Action<OidcRpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<OidcRpOptions>().Bind(configuration);
        if (configuration.GetSection("Keys:KidMissCooldown").Exists())
        {
            // A renamed setting would otherwise be ignored silently by the binder.
            builder.Services.AddOptions<OidcRpOptions>().Validate(_ => false,
                "OidcRp:Keys:KidMissCooldown was replaced by KidMissWindow and KidMissBudget (docs/refresh-rule.md).");
        }
        return builder.AddMultiOidc(configure ?? (_ => { }));
    }

    /// <summary>Adds the providers configured in code as OpenIdConnect schemes named <c>oidc:{id}</c>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configure">Configures providers and the key policy.</param>
    /// <returns>The authentication builder.</returns>
    public static AuthenticationBuilder AddMultiOidc(this AuthenticationBuilder builder, Action<OidcRpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.Configure(configure);
        AddCoreServices(services);
        return builder;
    }

    internal static void AddCoreServices(IServiceCollection services)
    {
        // Everything below is Try*: calling AddMultiOidc twice registers each service once.
        services.AddOptions<OidcRpOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OidcRpOptions>, PostConfigureProviderIds>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OidcRpOptions>, OidcRpOptionsValidator>());

        // The stock handler logs the authorization URL (state, nonce) at Debug, the authorization response
        // (code, state) at Trace, and the OP's error and error_description text, unescaped, at Error. OidcRp
        // turns its category off: OidcRp's own log lines and audit rows record every outcome with a
        // stable reason. An application that wants the stock lines back adds its own rule for this category.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.Authentication.OpenIdConnect", LogLevel.None));
        services.AddHttpContextAccessor();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        // OidcRp's own handler, not IHttpClientFactory: app-wide client defaults (retries, circuit breakers)
        // must not change how many requests a fetch or a code redemption makes. OidcRpHttp says why.
        services.TryAddSingleton(sp => OidcRpHttp.Create(sp, sp.GetRequiredService<IOptions<OidcRpOptions>>()));

        services.TryAddSingleton<OidcRpMetrics>();
        services.TryAddSingleton<MetadataFetcher>();
        services.TryAddSingleton<KeyRefresher>();
        services.TryAddSingleton<OidcProviderRegistry>();
        services.TryAddSingleton<OidcRp.Providers.Sources.ProviderPublisher>();
        services.TryAddSingleton<OidcRp.Providers.Sources.RemovedProviders>();
        // Handler options never outlive the provider version they were built for (run-time provider changes).
        services.TryAddSingleton<IOptionsMonitorCache<OpenIdConnectOptions>, ProviderHandlerOptionsCache>();
        services.TryAddSingleton<KidMissRecovery>();
        services.TryAddSingleton<RecoveringTokenValidator>();
        services.TryAddSingleton<IOidcAuditSink, LoggingAuditSink>();
        services.TryAddSingleton<AuditWriter>();
        services.TryAddSingleton<CallbackAuditor>();
        services.TryAddSingleton<CallbackReplayGuard>();
        OidcRp.Farm.OidcFarmServiceCollectionExtensions.AddLocalFarmState(services); // a farm replaces it (AddOidcRpFarmState)
        services.TryAddSingleton<IOidcProviders, OidcProviders>();
        services.TryAddSingleton<KeyUsage>();
        services.TryAddSingleton<KeyRevocations>();
        services.TryAddSingleton<IOidcKeyRevocations>(sp => sp.GetRequiredService<KeyRevocations>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BackgroundKeyRefresh>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OpenTenantWarning>());
        services.TryAddSingleton<AdminEndpointSources>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AuditAggregationFlush>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AdminEndpointGuard>());

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<AuthenticationOptions>, ConfigureAuthenticationSchemes>());
        // The middleware asks one dispatcher instead of every provider's handler on each request. An application
        // that registered its own scheme provider keeps it (and the stock behaviour of asking every scheme).
        if (services.LastOrDefault(d => d.ServiceType == typeof(IAuthenticationSchemeProvider)) is not { } schemeProvider)
        {
            services.TryAddSingleton<IAuthenticationSchemeProvider, OidcRpSchemeProvider>();
        }
        else if (schemeProvider.ImplementationType == typeof(AuthenticationSchemeProvider))
        {
            services.Replace(ServiceDescriptor.Singleton<IAuthenticationSchemeProvider, OidcRpSchemeProvider>());
        }
        services.TryAddSingleton<CallbackPaths>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CallbackPathGuard>());
        services.TryAddTransient<CallbackDispatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<OpenIdConnectOptions>, ConfigureProviderSchemes>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, ConfigureProviderSchemes>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());

        AdminAuthorizationAudit.Register(services);
    }
}
