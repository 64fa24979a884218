using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Farm;

/// <summary>
/// OidcRp's side of <see cref="IOidcFarmState"/>: what goes to the shared store and how answers are trusted. Every
/// call is bounded (<see cref="OidcFarmOptions.OperationTimeout"/>, and skipped at once while the store reports itself
/// unavailable) and never throws: a store that cannot answer makes the caller use the instance's own state. Snapshots
/// and messages are sealed with <see cref="FarmMac"/> and checked on read. Kids and states go to the store only as
/// hashes.
/// </summary>
internal sealed class FarmSync
{
    private readonly IOidcFarmState _state;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly ConditionalWeakTable<ProviderEntry, Mark> _marks = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);
    private int _degraded;

    public FarmSync(IOidcFarmState state, IOptions<OidcFarmOptions> options, TimeProvider time, ILogger<FarmSync> logger)
    {
        _state = state;
        _time = time;
        _logger = logger;
        _timeout = options.Value.OperationTimeout;
        Mac = FarmMac.FromOptions(options.Value);
        if (state.IsShared && Mac is null)
        {
            throw new InvalidOperationException(
                $"OidcRp farm: {nameof(OidcFarmOptions)}.{nameof(OidcFarmOptions.SharedKey)} must be set (base64, at least {FarmMac.MinKeyBytes} bytes) when state is shared.");
        }
        var name = options.Value.InstanceName ?? $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        Origin = name + "/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    }

    /// <summary>The local default, for code built without a container (tests, benchmarks).</summary>
    public static FarmSync Local { get; } = new(new LocalFarmState(), Options.Create(new OidcFarmOptions()), TimeProvider.System, NullLogger<FarmSync>.Instance);

    /// <summary>True when a shared store is registered (whether or not it answers now).</summary>
    public bool IsShared => _state.IsShared;

    /// <summary>This instance in broadcasts: its name and a random suffix (several instances may share a process).</summary>
    public string Origin { get; }

    internal FarmMac? Mac { get; }

    internal IOidcFarmState State => _state;

    /// <summary>Null: use the local guard's answer alone.</summary>
    public Task<bool?> TryConsumeFlowAsync(string providerId, UInt128 stateHash, TimeSpan lifetime) =>
        GuardedAsync(nameof(TryConsumeFlowAsync), (bool?)null,
            ct => _state.TryConsumeFlowAsync(providerId, stateHash.ToString("x32", CultureInfo.InvariantCulture), lifetime, ct));

    public Task<OidcKidMissDraw> DrawKidMissAsync(string providerId, KidMissPath path, string kid, int budget, TimeSpan window) =>
        GuardedAsync(nameof(DrawKidMissAsync), new OidcKidMissDraw(OidcKidMissVerdict.Unavailable),
            ct => _state.DrawKidMissAsync(BudgetKey(providerId, path), KidKey(providerId, path, kid), budget, window, ct));

    public Task RefundKidMissAsync(string providerId, KidMissPath path, string ticket) =>
        GuardedAsync(nameof(RefundKidMissAsync), true, async ct =>
        {
            await _state.RefundKidMissAsync(BudgetKey(providerId, path), ticket, ct);
            return true;
        });

    public Task RememberMissingKidAsync(string providerId, KidMissPath path, string kid, TimeSpan window) =>
        GuardedAsync(nameof(RememberMissingKidAsync), true, async ct =>
        {
            await _state.RememberMissingKidAsync(KidKey(providerId, path, kid), window, ct);
            return true;
        });

    /// <summary>The provider's shared snapshot when it verifies and is for this provider's metadata address; otherwise null.</summary>
    public async Task<SharedSnapshot?> ReadSnapshotAsync(ProviderEntry entry)
    {
        if (!IsShared)
        {
            return null;
        }
        var payload = await GuardedAsync(nameof(ReadSnapshotAsync), (string?)null, ct => _state.ReadSnapshotAsync(entry.Id, ct));
        if (payload is null)
        {
            return null;
        }
        var shared = SharedSnapshot.Open(payload, Mac!);
        string? why = shared is null ? "mac_invalid"
            : !string.Equals(shared.ProviderId, entry.Id, StringComparison.Ordinal) ? "provider_mismatch"
            : !string.Equals(shared.MetadataAddress, entry.Options.EffectiveMetadataAddress.AbsoluteUri, StringComparison.Ordinal) ? "metadata_address_mismatch"
            : null;
        if (why is not null)
        {
            Log.SharedSnapshotIgnored(_logger, entry.Id, why);
            return null;
        }
        return shared;
    }

    /// <summary>Shares a snapshot this instance fetched from the OP, then tells the other instances.</summary>
    public async Task PublishSnapshotAsync(ProviderEntry entry, string discovery, string jwks, DateTimeOffset fetchedAt, TimeSpan timeToLive)
    {
        if (!IsShared)
        {
            return;
        }
        var mark = MarkOf(entry);
        var published = await GuardedAsync(nameof(PublishSnapshotAsync), false, async ct =>
        {
            if (await _state.NextSnapshotVersionAsync(entry.Id, mark.Version, ct) is not { } version)
            {
                return false;
            }
            var shared = new SharedSnapshot(entry.Id, entry.Options.EffectiveMetadataAddress.AbsoluteUri, version, fetchedAt, discovery, jwks, Origin);
            if (!await _state.WriteSnapshotAsync(entry.Id, version, shared.Seal(Mac!), timeToLive, ct))
            {
                return false;
            }
            Advance(entry, version);
            await _state.PublishAsync(new FarmMessage(FarmMessage.Snapshot, entry.Id, version.ToString(CultureInfo.InvariantCulture), Origin, _time.GetUtcNow()).Seal(Mac!), ct);
            Log.SharedSnapshotPublished(_logger, entry.Id, version);
            return true;
        });
        // Not shared (the store is away): resynchronisation shares it when the store is back.
        mark.Unpublished = !published;
    }

    /// <summary>Sends a sealed message to every instance; false when the store could not take it.</summary>
    public Task<bool> BroadcastAsync(string kind, string providerId, string? value) =>
        !IsShared ? Task.FromResult(false) : GuardedAsync(nameof(BroadcastAsync), false, async ct =>
        {
            await _state.PublishAsync(new FarmMessage(kind, providerId, value, Origin, _time.GetUtcNow()).Seal(Mac!), ct);
            return true;
        });

    /// <summary>The shared version this instance's snapshot of <paramref name="entry"/> came from or was shared as (0: none).</summary>
    internal Mark MarkOf(ProviderEntry entry) => _marks.GetValue(entry, _ => new Mark());

    /// <summary>Records a shared version adopted or published here: on the provider's mark, and by id for the status page.</summary>
    internal void Advance(ProviderEntry entry, long version)
    {
        MarkOf(entry).Advance(version);
        _versions.AddOrUpdate(entry.Id, version, (_, current) => Math.Max(current, version));
    }

    /// <summary>The highest shared snapshot version adopted or published here, per provider id.</summary>
    internal IReadOnlyDictionary<string, long> SnapshotVersions() => new Dictionary<string, long>(_versions, StringComparer.Ordinal);

    /// <summary>Runs one store call within the timeout; any failure is the fallback value (and one log line per outage).</summary>
    private async Task<T> GuardedAsync<T>(string operation, T fallback, Func<CancellationToken, Task<T>> call)
    {
        if (!_state.IsAvailable)
        {
            Degraded(operation, null);
            return fallback;
        }
        try
        {
            // A wall-clock bound on a network call (like the Redis client's own timeouts), not protocol time: it must hold
            // even when the app runs on a virtual clock.
            using var timeout = new CancellationTokenSource(_timeout);
            var result = await call(timeout.Token).WaitAsync(_timeout, _time, timeout.Token).ConfigureAwait(false);
            Interlocked.Exchange(ref _degraded, 0);
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A store that is down, slow or refusing is the same to a login: the instance's own state answers.
            Degraded(operation, e);
            return fallback;
        }
    }

    private void Degraded(string operation, Exception? exception)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            Log.FarmUnavailable(_logger, operation, exception);
        }
    }

    private static string BudgetKey(string providerId, KidMissPath path) => $"{providerId}:{Path(path)}";

    private static string KidKey(string providerId, KidMissPath path, string kid) =>
        $"{providerId}:{Path(path)}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kid)).AsSpan(0, 16))}";

    private static string Path(KidMissPath path) => path == KidMissPath.Bearer ? "bearer" : "login";

    /// <summary>What this instance knows of the shared snapshot of one provider version.</summary>
    internal sealed class Mark
    {
        private long _version;

        /// <summary>The highest shared version adopted or published here.</summary>
        public long Version => Interlocked.Read(ref _version);

        /// <summary>True when this instance fetched from the OP while the store was away and has not shared it yet.</summary>
        public bool Unpublished { get; set; }

        public void Advance(long version)
        {
            long current;
            do
            {
                current = Interlocked.Read(ref _version);
                if (version <= current)
                {
                    return;
                }
            }
            while (Interlocked.CompareExchange(ref _version, version, current) != current);
        }
    }
}
