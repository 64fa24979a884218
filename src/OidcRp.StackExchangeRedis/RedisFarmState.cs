using Microsoft.Extensions.Options;
using OidcRp.Farm;
using StackExchange.Redis;

namespace OidcRp.StackExchangeRedis;

/// <summary>
/// <see cref="IOidcFarmState"/> on Redis. Each shared decision is one atomic command or Lua script: the replay guard is
/// <c>SET NX PX</c>; the kid-miss budget is a sorted set of draw times trimmed to the window inside the script that also
/// checks the unknown-kid key and draws (so concurrent instances cannot overdraw); unknown kids are keys with a
/// <c>PX</c> expiry; snapshots are a hash written only by a higher version; broadcasts are pub/sub. Time inside the
/// scripts is Redis's own (<c>TIME</c>), one clock for the farm. While disconnected every call fails at once
/// (<see cref="IsAvailable"/>) and OidcRp uses local state; StackExchange.Redis reconnects and re-subscribes by itself.
/// </summary>
internal sealed class RedisFarmState : IOidcFarmState, IDisposable
{
    // KEYS[1] the budget's sorted set, KEYS[2] the unknown-kid key; ARGV budget, window ms, a unique suffix.
    private const string DrawScript = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return {'missing', ''} end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return {'spent', ''} end
        local member = tostring(now) .. ':' .. ARGV[3]
        redis.call('ZADD', KEYS[1], now, member)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return {'drawn', member}
        """;

    // KEYS[1] the snapshot hash; ARGV version, payload, time to live in ms.
    private const string WriteSnapshotScript = """
        local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
        if tonumber(ARGV[1]) <= current then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'doc', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // KEYS[1] the version counter; ARGV the caller's highest version seen (a Redis restarted empty must not go back).
    private const string NextVersionScript = """
        local v = redis.call('INCR', KEYS[1])
        if v <= tonumber(ARGV[1]) then
          v = tonumber(ARGV[1]) + 1
          redis.call('SET', KEYS[1], v)
        end
        return v
        """;

    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly RedisChannel _channel;

    public RedisFarmState(IOptions<OidcRpRedisOptions> options)
    {
        var settings = options.Value;
        var configuration = ConfigurationOptions.Parse(settings.Configuration!);
        // Never block a login on a dead server: fail fast and let OidcRp fall back; reconnect in the background.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)settings.ConnectTimeout.TotalMilliseconds;
        // OidcRp bounds each call on the request path by OperationTimeout itself; the client's own timeout is for the
        // rest (the subscription at start-up), which may wait longer without holding a login.
        var clientTimeout = (int)Math.Max(settings.OperationTimeout.TotalMilliseconds * 4, 5_000);
        configuration.AsyncTimeout = clientTimeout;
        configuration.SyncTimeout = clientTimeout;
        configuration.ClientName ??= "oidcrp";
        _redis = ConnectionMultiplexer.Connect(configuration);
        _prefix = settings.KeyPrefix;
        _channel = RedisChannel.Literal(_prefix + "events");
    }

    public bool IsShared => true;

    public bool IsAvailable => _redis.IsConnected;

    private IDatabase Db => _redis.GetDatabase();

    public async Task<bool?> TryConsumeFlowAsync(string providerId, string flowKey, TimeSpan lifetime, CancellationToken cancellationToken) =>
        await Db.StringSetAsync(Key("flow", providerId, flowKey), "1", lifetime, When.NotExists);

    public async Task<OidcKidMissDraw> DrawKidMissAsync(string budgetKey, string kidKey, int budget, TimeSpan window, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(DrawScript,
            [Key("budget", budgetKey), Key("miss", kidKey)],
            [budget, (long)window.TotalMilliseconds, Guid.NewGuid().ToString("N")]))!;
        return (string?)result[0] switch
        {
            "drawn" => new OidcKidMissDraw(OidcKidMissVerdict.Drawn, (string?)result[1]),
            "spent" => new OidcKidMissDraw(OidcKidMissVerdict.BudgetSpent),
            "missing" => new OidcKidMissDraw(OidcKidMissVerdict.RecentlyMissing),
            _ => new OidcKidMissDraw(OidcKidMissVerdict.Unavailable),
        };
    }

    public Task RefundKidMissAsync(string budgetKey, string ticket, CancellationToken cancellationToken) =>
        Db.SortedSetRemoveAsync(Key("budget", budgetKey), ticket);

    public Task RememberMissingKidAsync(string kidKey, TimeSpan window, CancellationToken cancellationToken) =>
        Db.StringSetAsync(Key("miss", kidKey), "1", window);

    public async Task<long?> NextSnapshotVersionAsync(string providerId, long atLeast, CancellationToken cancellationToken) =>
        (long)await Db.ScriptEvaluateAsync(NextVersionScript, [Key("snapver", providerId)], [atLeast]);

    public async Task<bool> WriteSnapshotAsync(string providerId, long version, string payload, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        (int)await Db.ScriptEvaluateAsync(WriteSnapshotScript, [Key("snapshot", providerId)],
            [version, payload, (long)timeToLive.TotalMilliseconds]) == 1;

    public async Task<string?> ReadSnapshotAsync(string providerId, CancellationToken cancellationToken) =>
        await Db.HashGetAsync(Key("snapshot", providerId), "doc");

    public Task PublishAsync(string message, CancellationToken cancellationToken) =>
        _redis.GetSubscriber().PublishAsync(_channel, message);

    public IDisposable Subscribe(Action<string> onMessage, Action onReconnected)
    {
        var subscriber = _redis.GetSubscriber();
        Action<RedisChannel, RedisValue> handler = (_, message) =>
        {
            if (message.HasValue)
            {
                onMessage(message!);
            }
        };
        EventHandler<ConnectionFailedEventArgs> restored = (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                onReconnected();
            }
        };
        _redis.ConnectionRestored += restored;
        // Not awaited: start-up never waits on Redis. The client keeps the subscription and renews it after a reconnect.
        _ = subscriber.SubscribeAsync(_channel, handler).ContinueWith(t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new Subscription(() =>
        {
            _redis.ConnectionRestored -= restored;
            subscriber.Unsubscribe(_channel, handler);
        });
    }

    /// <summary>The key of a value: the app's prefix, the kind, then the parts (provider ids, hashes; never a kid or state).</summary>
    internal string Key(string kind, params string[] parts) => _prefix + kind + ":" + string.Join(':', parts);

    public void Dispose() => _redis.Dispose();

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
