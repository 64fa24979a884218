namespace OidcRp.StackExchangeRedis;

/// <summary>How the instances of a farm reach Redis (<see cref="OidcRpRedisExtensions.AddOidcRpRedis(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{OidcRpRedisOptions})"/>).</summary>
public sealed class OidcRpRedisOptions
{
    /// <summary>
    /// The StackExchange.Redis configuration string, for example <c>redis.internal:6380,ssl=true,user=oidcrp,password=…</c>.
    /// Use TLS and an ACL user limited to <see cref="KeyPrefix"/> (docs/farm.md).
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Put before every key and the broadcast channel; one per app, so two apps on one Redis never share state.
    /// Default <c>oidcrp:</c>. On Redis Cluster, include a hash tag (<c>{myapp}:</c>) so the atomic scripts see one slot.
    /// </summary>
    public string KeyPrefix { get; set; } = "oidcrp:";

    /// <summary>
    /// The HMAC-SHA256 key over shared snapshots and broadcasts: base64, at least 32 bytes, the same on every instance, kept
    /// in configuration or a secret store (never in Redis). Required.
    /// </summary>
    public string? SharedKey { get; set; }

    /// <summary>The most a Redis call may take before the instance falls back to its own state. Default 500 ms.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the first connection may take at start-up (the app starts anyway, on local state). Default 2 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A name for this instance in logs (default: machine name and process id).</summary>
    public string? InstanceName { get; set; }
}
