using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OidcRp.Providers;

namespace OidcRp.Farm;

/// <summary>Registers a shared store for a farm of instances (used by packages such as <c>OidcRp.StackExchangeRedis</c>).</summary>
public static class OidcFarmServiceCollectionExtensions
{
    /// <summary>
    /// Shares OidcRp's state across the instances of a farm through <typeparamref name="TState"/>: the replay guard, the
    /// kid-miss budgets and unknown kids, key snapshots, admin refreshes, revocations and provider changes. Without this
    /// call every instance keeps its own state (the default).
    /// </summary>
    /// <typeparam name="TState">The shared store.</typeparam>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets <see cref="OidcFarmOptions.SharedKey"/> (required) and the timeout.</param>
    public static IServiceCollection AddOidcRpFarmState<TState>(this IServiceCollection services, Action<OidcFarmOptions> configure)
        where TState : class, IOidcFarmState
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        services.AddOptions<OidcFarmOptions>().Validate(o => FarmMac.FromOptions(o) is not null,
            $"OidcRp farm: {nameof(OidcFarmOptions.SharedKey)} must be base64 of at least {FarmMac.MinKeyBytes} bytes.").ValidateOnStart();
        services.TryAddSingleton<TState>();
        services.Replace(ServiceDescriptor.Singleton<IOidcFarmState>(sp => sp.GetRequiredService<TState>()));
        services.Replace(ServiceDescriptor.Singleton<IOidcKeyRevocations, FarmKeyRevocations>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FarmListener>());
        services.TryAddSingleton<FarmListener>(sp => sp.GetServices<IHostedService>().OfType<FarmListener>().Single());
        return services;
    }

    /// <summary>The local defaults (called by AddMultiOidc): nothing shared.</summary>
    internal static void AddLocalFarmState(IServiceCollection services)
    {
        services.TryAddSingleton<IOidcFarmState, LocalFarmState>();
        services.TryAddSingleton<FarmSync>();
        services.TryAddSingleton<IOidcFarmStatus, FarmStatus>();
        services.AddOptions<OidcFarmOptions>();
    }
}
