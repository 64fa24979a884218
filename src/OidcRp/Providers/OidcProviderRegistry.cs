using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;
using OidcRp.Providers.Sources;

namespace OidcRp.Providers;

/// <summary>
/// The providers in place, looked up by id (ignoring case) or by issuer: configuration providers (reloaded through
/// <see cref="IOptionsMonitor{TOptions}"/>) and, when the application registered an <see cref="IOidcProviderStore"/>,
/// store providers loaded on first use. Each entry is one immutable version of a provider; a change publishes a new
/// entry (<see cref="ProviderPublisher"/> applies its effects). Nothing is fetched until a provider is first used.
/// An id in both sources is the configuration's: the store is never asked for it.
/// </summary>
internal sealed partial class OidcProviderRegistry : IDisposable
{
    private readonly IOptionsMonitor<OidcRpOptions> _monitor;
    private readonly ProviderPublisher _publisher;
    private readonly ILogger _logger;
    private readonly Lock _applyGate = new();
    private readonly ConcurrentDictionary<string, ProviderEntry> _stored = new(StringComparer.OrdinalIgnoreCase);
    private ConfiguredProviders? _configured;
    private IDisposable? _onChange;

    public OidcProviderRegistry(IOptionsMonitor<OidcRpOptions> monitor, ProviderPublisher publisher, TimeProvider time,
        ILogger<OidcProviderRegistry> logger, IOidcProviderStore? store = null)
    {
        _monitor = monitor;
        _publisher = publisher;
        _logger = logger;
        Time = time;
        Store = store is null ? null : new StoreLookups(store, this, time, logger);
    }

    /// <summary>A registry of fixed options with no run-time sources (unit tests and benchmarks of one provider).</summary>
    internal OidcProviderRegistry(IOptions<OidcRpOptions> options)
        : this(new FixedOptionsMonitor(options.Value), new ProviderPublisher(EmptyServices.Instance, new RemovedProviders(TimeProvider.System),
            new OidcRpMetrics(new StandaloneMeterFactory()), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ProviderPublisher>.Instance),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OidcProviderRegistry>.Instance)
    {
    }

    private sealed class FixedOptionsMonitor(OidcRpOptions value) : IOptionsMonitor<OidcRpOptions>
    {
        public OidcRpOptions CurrentValue => value;

        public OidcRpOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<OidcRpOptions, string?> listener) => null;
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }

    private sealed class StandaloneMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }

    /// <summary>The store source, or null when the application registered none.</summary>
    internal StoreLookups? Store { get; }

    internal TimeProvider Time { get; }

    /// <summary>Bumped whenever the set of configuration providers or their paths may have changed.</summary>
    public long ConfigurationGeneration => Configured.Generation;

    /// <summary>Configuration providers in configuration order, then the loaded store providers.</summary>
    public IEnumerable<ProviderEntry> All => Configured.Ordered.Concat(_stored.Values);

    /// <summary>The configuration providers, in configuration order.</summary>
    public IReadOnlyList<ProviderEntry> ConfiguredEntries => Configured.Ordered;

    /// <summary>The provider's current version, among configuration providers and the store providers already loaded.</summary>
    public ProviderEntry? Find(string? id) =>
        id is null ? null
        : Configured.ById.TryGetValue(id, out var entry) ? entry
        : _stored.TryGetValue(id, out entry) ? entry
        : null;

    /// <summary>As <see cref="Find"/>, and asks the store (once, shared, remembered) for an id it has not seen.</summary>
    public ValueTask<ProviderEntry?> FindAsync(string? id, CancellationToken cancellationToken) =>
        Find(id) is { } entry ? ValueTask.FromResult<ProviderEntry?>(entry)
        : id is null || Store is null ? ValueTask.FromResult<ProviderEntry?>(null)
        : Store.LoadAsync(id, cancellationToken);

    public ProviderEntry GetRequired(string id) =>
        Find(id) ?? throw new InvalidOperationException($"OidcRp has no provider '{id}'.");

    /// <summary>Finds the provider whose loaded (or configured) issuer is <paramref name="issuer"/>.</summary>
    public ProviderEntry? FindByIssuer(string issuer) =>
        All.FirstOrDefault(e => e.Snapshot is { IssuerRule.IsTemplate: true } loaded
            ? loaded.IssuerRule.Match(issuer, out _) != IssuerCheck.IssuerMismatch // the provider's, allowed tenant or not
            : (e.Snapshot?.Issuer ?? e.Options.ExpectedIssuer) is { } known && MetadataParser.IssuersEqual(known, issuer));

    /// <summary>Whether <paramref name="id"/> is a configuration provider's (configuration wins over the store).</summary>
    internal bool IsConfigured(string id) => Configured.ById.ContainsKey(id);

    private ConfiguredProviders Configured => Volatile.Read(ref _configured) ?? Initialize();

    /// <summary>
    /// The configuration providers of the validated start-up options (validation failures stop start-up, as
    /// before), then a subscription to reloads: each reload is applied provider by provider and never throws.
    /// </summary>
    private ConfiguredProviders Initialize()
    {
        lock (_applyGate)
        {
            if (_configured is { } done)
            {
                return done;
            }
            var options = _monitor.CurrentValue;
            var entries = options.Providers.Values.Select(p => new ProviderEntry(p)).ToList();
            var initial = new ConfiguredProviders(entries, 1);
            Volatile.Write(ref _configured, initial);
            _onChange = _monitor.OnChange((changed, name) =>
            {
                if (name is null || name == Options.DefaultName)
                {
                    ApplyConfiguration(changed);
                }
            });
            return initial;
        }
    }

    /// <summary>Applies a reloaded configuration. Called inside the reload callback: never throws.</summary>
    internal void ApplyConfiguration(OidcRpOptions options)
    {
        try
        {
            List<ProviderChange> changes;
            lock (_applyGate)
            {
                var before = Configured;
                var (after, applied) = ConfigurationDiff.Apply(before, options, _stored, Time.GetUtcNow());
                changes = applied;
                if (changes.Count == 0)
                {
                    return;
                }
                _publisher.Publish(changes, () =>
                {
                    Volatile.Write(ref _configured, after);
                    foreach (var change in changes.Where(c => c.After is not null))
                    {
                        _stored.TryRemove(change.Id, out _); // configuration wins
                    }
                });
            }
        }
#pragma warning disable CA1031 // a reload callback must never throw: the app would stop or the reload be lost silently
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProviderReloadFailed(_logger, e);
        }
    }

    /// <summary>
    /// Publishes a store provider's new version (or its removal when <paramref name="after"/> is null), when the
    /// version in place is still <paramref name="expected"/> (a read that raced a newer one never lands).
    /// </summary>
    internal bool ApplyStored(string id, ProviderEntry? expected, ProviderEntry? after, IReadOnlyList<ProviderChange> changes)
    {
        lock (_applyGate)
        {
            if (IsConfigured(id) || FindStored(id) != expected)
            {
                return false;
            }
            _publisher.Publish(changes, () =>
            {
                if (after is null)
                {
                    _stored.TryRemove(id, out _);
                }
                else
                {
                    _stored[id] = after;
                }
            });
            return true;
        }
    }

    /// <summary>A store provider already loaded, or null.</summary>
    internal ProviderEntry? FindStored(string id) => _stored.TryGetValue(id, out var entry) ? entry : null;

    internal IEnumerable<ProviderEntry> StoredEntries => _stored.Values;

    public void Dispose()
    {
        _onChange?.Dispose();
        Store?.Dispose();
    }
}

/// <summary>The configuration providers of one moment: immutable, swapped whole.</summary>
internal sealed class ConfiguredProviders
{
    public ConfiguredProviders(IReadOnlyList<ProviderEntry> ordered, long generation)
    {
        Ordered = ordered;
        Generation = generation;
        var byId = new Dictionary<string, ProviderEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in ordered)
        {
            byId.TryAdd(entry.Id, entry);
        }
        ById = byId;
    }

    public IReadOnlyList<ProviderEntry> Ordered { get; }

    public IReadOnlyDictionary<string, ProviderEntry> ById { get; }

    public long Generation { get; }
}
