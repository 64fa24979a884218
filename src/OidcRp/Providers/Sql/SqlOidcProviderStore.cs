using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Providers.Sql;

/// <summary>What a save did: the new version, or every reason the provider was refused.</summary>
public sealed record OidcProviderSaveResult
{
    /// <summary>Whether the provider was saved.</summary>
    public bool Succeeded => Version is not null;

    /// <summary>The provider's new version (<see cref="OidcProviderRecord.Version"/>), or null when refused.</summary>
    public string? Version { get; init; }

    /// <summary>Why the provider was refused (empty on success). Never holds the secret.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}

/// <summary>
/// A ready <see cref="IOidcProviderStore"/> over ADO.NET: one row per provider in SQLite or PostgreSQL
/// (<see cref="SqlProviderStoreDialect"/>), with a write API (<see cref="SaveAsync"/>, <see cref="RemoveAsync"/>) for
/// apps and admin pages.
/// <list type="bullet">
/// <item>Creates or upgrades its schema at start-up and before first use (versioned steps, serialised across instances).</item>
/// <item>Checks a provider as the registry checks a store provider before saving it; a refused save changes nothing.</item>
/// <item>Every write bumps a database-wide version; removals are tombstones, so other instances see them by polling.</item>
/// <item>Keeps the client secret protected with Data Protection, or not at all (<see cref="OidcProviderSecretStorage"/>).</item>
/// <item>A row it cannot read (settings edited by hand into invalid JSON, a secret that does not decrypt) never throws
/// out of a read: it comes back as a record holding only its id, which the registry's per-provider validation refuses
/// (keeping the provider it had), and is logged (event 1452) without its content.</item>
/// </list>
/// </summary>
public sealed class SqlOidcProviderStore : IOidcProviderStore, IHostedService, IAsyncDisposable
{
    private readonly DbDataSource _dataSource;
    private readonly SqlProviderStoreDialect _dialect;
    private readonly TimeProvider _time;
    private readonly ILogger<SqlOidcProviderStore> _logger;
    private readonly ProviderStoreSchema _schema;
    private readonly ProviderSecrets _secrets;
    private readonly ProviderChangeFeed _changes;

    /// <summary>Creates the store; <see cref="OidcProviderStoreServiceCollectionExtensions.AddOidcRpSqlProviderStore"/> is the usual way.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="dialect">Which database it is.</param>
    /// <param name="options">Secrets and polling.</param>
    /// <param name="protection">Data Protection, needed with <see cref="OidcProviderSecretStorage.Protected"/>.</param>
    /// <param name="time">The clock for row times and the poll interval.</param>
    /// <param name="logger">The store's logger.</param>
    public SqlOidcProviderStore(DbDataSource dataSource, SqlProviderStoreDialect dialect, IOptions<OidcProviderStoreOptions> options,
        IDataProtectionProvider? protection, TimeProvider time, ILogger<SqlOidcProviderStore> logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var settings = options.Value;
        // Registered stores are validated at start-up (ValidateOnStart); this covers a store built by hand.
        if (new OidcProviderStoreOptionsValidator().Validate(null, settings) is { Failed: true } result)
        {
            throw new OptionsValidationException(nameof(OidcProviderStoreOptions), typeof(OidcProviderStoreOptions), result.Failures);
        }
        _dataSource = dataSource;
        _dialect = dialect;
        _time = time;
        _logger = logger;
        _schema = new ProviderStoreSchema(dataSource, dialect, time, logger);
        _secrets = new ProviderSecrets(settings, protection);
        _changes = new ProviderChangeFeed(dataSource, _schema, settings, time, logger);
    }

    /// <summary>The database in use, for logs.</summary>
    public string DatabaseName => _dialect.Name;

    /// <summary>Whether the change poller runs (something is subscribed and polling is on).</summary>
    internal bool Polling => _changes.Polling;

    /// <inheritdoc />
    public async Task<OidcProviderRecord?> FindByIdAsync(string providerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(providerId);
        await _schema.EnsureAsync(cancellationToken);
        return await ToRecordAsync(await ProviderRows.FindByIdAsync(_dataSource, providerId, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<OidcProviderRecord?> FindByCallbackPathAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        await _schema.EnsureAsync(cancellationToken);
        return await ToRecordAsync(await ProviderRows.FindByCallbackPathAsync(_dataSource, path, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OidcProviderRecord>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await _schema.EnsureAsync(cancellationToken);
        var rows = await ProviderRows.ListAsync(_dataSource, afterId, Math.Min(limit, 10_000), cancellationToken);
        var records = new List<OidcProviderRecord>(rows.Count);
        foreach (var row in rows)
        {
            records.Add((await ToRecordAsync(row, cancellationToken))!);
        }
        return records;
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action<OidcProviderStoreChange> onChange) => _changes.Subscribe(onChange);

    /// <summary>
    /// Inserts or replaces the provider <paramref name="provider"/>.<see cref="OidcProviderOptions.Id"/> (ignoring letter
    /// case; a removed id comes back), giving it a new version and signalling subscribers. Refused, with every reason,
    /// when the registry would refuse it as a store provider (start-up's per-provider checks, the default callback
    /// paths, no <see cref="OidcProviderOptions.ConfigureHandler"/>: code cannot be stored).
    /// </summary>
    /// <param name="provider">The provider; copied, not kept.</param>
    /// <param name="actor">Who makes the change, for the change signal and the audit rows (at most 128 characters kept).</param>
    /// <param name="secretName">With <see cref="OidcProviderSecretStorage.External"/>: the name <see cref="OidcProviderStoreOptions.ResolveSecret"/> resolves.</param>
    /// <param name="cancellationToken">Stops the save.</param>
    public async Task<OidcProviderSaveResult> SaveAsync(OidcProviderOptions provider, string? actor = null, string? secretName = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var errors = ProviderShape.Check(provider);
        var (protectedSecret, name, secretError) = errors.Count == 0 ? _secrets.ForWrite(ProviderRows.Normalize(provider.Id), provider.ClientSecret, secretName) : default;
        if (secretError is not null)
        {
            errors.Add($"OidcRp store provider {provider.Id}: {secretError}");
        }
        if (errors.Count > 0)
        {
            Log.ProviderSaveRefused(_logger, provider.Id, string.Join(" ", errors));
            return new OidcProviderSaveResult { Errors = errors };
        }
        await _schema.EnsureAsync(cancellationToken);
        actor = AuditText.Clean(actor, AuditText.MaxShort);
        var row = new ProviderRowWrite(provider.Id, provider.EffectiveCallbackPath, provider.EffectiveSignedOutCallbackPath,
            ProviderSettingsJson.Write(provider), protectedSecret, name, actor);
        var version = await ProviderWrites.SaveAsync(_dataSource, row, ToMicros(_time.GetUtcNow()), cancellationToken);
        Log.ProviderSaved(_logger, provider.Id, version, actor);
        _changes.PublishOwn(provider.Id, version, actor);
        return new OidcProviderSaveResult { Version = Version(version) };
    }

    /// <summary>
    /// Removes the provider (ignoring letter case): its row becomes a tombstone with a new version and no secret, so
    /// other instances see the removal; subscribers are signalled. False when no stored provider has that id.
    /// </summary>
    /// <param name="providerId">The provider id.</param>
    /// <param name="actor">Who removes it (at most 128 characters kept).</param>
    /// <param name="cancellationToken">Stops the removal.</param>
    public async Task<bool> RemoveAsync(string providerId, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(providerId);
        await _schema.EnsureAsync(cancellationToken);
        actor = AuditText.Clean(actor, AuditText.MaxShort);
        if (await ProviderWrites.RemoveAsync(_dataSource, providerId, actor, ToMicros(_time.GetUtcNow()), cancellationToken) is not { } version)
        {
            return false;
        }
        Log.ProviderRemoved(_logger, providerId, version, actor);
        _changes.PublishOwn(providerId, version, actor);
        return true;
    }

    /// <summary>Creates or upgrades the schema now (also done at start-up and before first use).</summary>
    /// <param name="cancellationToken">Stops the migration.</param>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _schema.EnsureAsync(cancellationToken);
        }
#pragma warning disable CA1031 // a database that is down must not stop the app: configured providers still serve, the store retries on use
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.ProviderStoreUnavailable(_logger, _dialect.Name, e.GetType().Name);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _changes.DisposeAsync();
        _schema.Dispose();
    }

    private static string Version(long version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<OidcProviderRecord?> ToRecordAsync(ProviderRow? row, CancellationToken cancellationToken)
    {
        if (row is null)
        {
            return null;
        }
        try
        {
            var options = ProviderSettingsJson.Read(row.Id, row.Settings);
            options.ClientSecret = await _secrets.ReadAsync(row.Id, row.IdNormalized, row.ProtectedSecret, row.SecretName, cancellationToken);
            return new OidcProviderRecord { Options = options, Version = Version(row.Version) };
        }
        catch (Exception e) when (e is JsonException or ProviderRowException)
        {
            Log.ProviderRowUnreadable(_logger, row.Id, row.Version, e is ProviderRowException p ? p.Code : "settings_invalid",
                e is ProviderRowException { Detail: { } detail } ? detail : e.GetType().Name);
            return new OidcProviderRecord { Options = new OidcProviderOptions { Id = row.Id }, Version = Version(row.Version) };
        }
    }
}
