using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Farm;

namespace OidcRp.StackExchangeRedis;

/// <summary>The one call that turns instances of an OidcRp app into a farm sharing state through Redis.</summary>
public static class OidcRpRedisExtensions
{
    /// <summary>
    /// Shares the replay guard, kid-miss budgets, unknown kids, key snapshots, admin refreshes, kid revocations and
    /// provider changes through Redis. Data Protection keys are the app's business (docs/farm.md).
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets at least <see cref="OidcRpRedisOptions.Configuration"/> and <see cref="OidcRpRedisOptions.SharedKey"/>.</param>
    public static IServiceCollection AddOidcRpRedis(this IServiceCollection services, Action<OidcRpRedisOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<OidcRpRedisOptions>().Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Configuration), "OidcRp Redis: Configuration (the Redis connection string) is required.")
            .Validate(o => !string.IsNullOrEmpty(o.KeyPrefix), "OidcRp Redis: KeyPrefix must not be empty.")
            .Validate(o => o.OperationTimeout > TimeSpan.Zero && o.OperationTimeout <= TimeSpan.FromSeconds(10), "OidcRp Redis: OperationTimeout must be within (0, 10 s].")
            .ValidateOnStart();
        services.AddOidcRpFarmState<RedisFarmState>(_ => { });
        services.AddOptions<OidcFarmOptions>().Configure<IOptions<OidcRpRedisOptions>>((farm, redis) =>
        {
            farm.SharedKey = redis.Value.SharedKey;
            farm.OperationTimeout = redis.Value.OperationTimeout;
            farm.InstanceName = redis.Value.InstanceName;
        });
        return services;
    }

    /// <summary>As <see cref="AddOidcRpRedis(IServiceCollection, Action{OidcRpRedisOptions})"/>, bound from a configuration section.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="section">A section with the properties of <see cref="OidcRpRedisOptions"/>.</param>
    public static IServiceCollection AddOidcRpRedis(this IServiceCollection services, IConfiguration section) =>
        services.AddOidcRpRedis(o => section.Bind(o));

    /// <summary>As <see cref="AddOidcRpRedis(IServiceCollection, Action{OidcRpRedisOptions})"/>, chained after <c>AddMultiOidc</c>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configure">Sets at least <see cref="OidcRpRedisOptions.Configuration"/> and <see cref="OidcRpRedisOptions.SharedKey"/>.</param>
    public static AuthenticationBuilder AddOidcRpRedis(this AuthenticationBuilder builder, Action<OidcRpRedisOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOidcRpRedis(configure);
        return builder;
    }
}
