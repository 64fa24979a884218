using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;

namespace OidcRp.Audit.Sql;

/// <summary>Counts of what the store did with the rows it accepted.</summary>
public sealed record OidcAuditStoreStatistics(long Written, long Buffered, long Spilled, long Failed, bool Spilling);

/// <summary>
/// A durable audit sink and reader over ADO.NET: SQLite or PostgreSQL (<see cref="SqlAuditDialect"/>).
/// <list type="bullet">
/// <item>Creates or upgrades its schema at start-up (versioned steps, serialised across instances).</item>
/// <item>Never makes a login wait on the database or the disk: rows go to a bounded in-memory buffer that a
/// background writer empties in batches; when the buffer is full (the database is slow or down) rows go, through
/// a second bounded queue, to local spill segments written by a background task, and are written from them, in
/// order, once the database is back; each segment is deleted as soon as its rows are stored.</item>
/// <item>Inserts are idempotent (<c>ON CONFLICT (id) DO NOTHING</c>), so a retried batch or a replayed
/// spill segment never duplicates a row.</item>
/// <item>A graceful shutdown (after the web server has stopped) writes everything, or spills what the
/// database would not take.</item>
/// </list>
/// The work is split by concern: <see cref="AuditSchema"/> (migrations), <see cref="AuditQueries"/> (reads),
/// <see cref="AuditRetention"/> (pruning) and <see cref="AuditPipeline"/> (buffer, spill and writer loop).
/// </summary>
public sealed class SqlAuditStore : IOidcAuditSink, IOidcAuditReader, IHostedLifecycleService, IAsyncDisposable
{
    private readonly DbDataSource _dataSource;
    private readonly SqlAuditDialect _dialect;
    private readonly ILogger<SqlAuditStore> _logger;
    private readonly AuditSchema _schema;
    private readonly AuditRetention _retention;
    private readonly AuditPipeline _pipeline;
    private readonly bool _prunes;
    private Task? _pruner;

    /// <summary>The database, for the revoked-kid store that shares it (<see cref="Providers.SqlRevocationStore"/>).</summary>
    internal DbDataSource DataSource => _dataSource;

    /// <summary>Creates the store; <see cref="OidcAuditStoreServiceCollectionExtensions.AddOidcRpAuditStore"/> is the usual way.</summary>
    public SqlAuditStore(DbDataSource dataSource, SqlAuditDialect dialect, IOptions<OidcAuditStoreOptions> options, TimeProvider time,
        IMeterFactory meterFactory, ILogger<SqlAuditStore> logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _dataSource = dataSource;
        _dialect = dialect;
        _logger = logger;
        var settings = options.Value;
        if (ReferenceEquals(settings.SpillPath, OidcAuditStoreOptions.DefaultSpillPath))
        {
            settings.SpillPath = OidcAuditStoreOptions.DefaultSpillFile(null); // built without the registration's post-configure
        }
        // Registered stores are validated at start-up (ValidateOnStart); this covers a store built by hand.
        if (new OidcAuditStoreOptionsValidator().Validate(null, settings) is { Failed: true } result)
        {
            throw new OptionsValidationException(nameof(OidcAuditStoreOptions), typeof(OidcAuditStoreOptions), result.Failures);
        }
        _prunes = settings.MaxAge is not null;
        _schema = new AuditSchema(dataSource, dialect, time, logger);
        _retention = new AuditRetention(dataSource, _schema, settings, time, logger, dialect.Name);
        _pipeline = new AuditPipeline(dataSource, _schema, settings, logger, dialect.Name, meterFactory.Create(OidcRpMetrics.MeterName));
    }

    /// <summary>What happened to the rows so far.</summary>
    public OidcAuditStoreStatistics Statistics => _pipeline.Statistics;

    /// <summary>The database in use, for logs.</summary>
    public string DatabaseName => _dialect.Name;

    internal int SpillSegments => _pipeline.SpillSegments;

    /// <inheritdoc />
    public ValueTask WriteAsync(OidcAuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.ProviderId) || string.IsNullOrEmpty(record.Category) || string.IsNullOrEmpty(record.Outcome))
        {
            _pipeline.Fail(1); // a row the table cannot hold would block every later one
            return ValueTask.CompletedTask;
        }
        return _pipeline.EnqueueAsync(AuditRows.Bounded(record));
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<OidcAuditRecord>> QueryAsync(OidcAuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _schema.EnsureAsync(cancellationToken);
        return await AuditQueries.QueryAsync(_dataSource, query, cancellationToken);
    }

    /// <summary>Creates or upgrades the schema now (also done at start-up and before the first write).</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);

    /// <summary>Deletes rows older than <see cref="OidcAuditStoreOptions.MaxAge"/> in bounded batches; returns how many.</summary>
    public Task<long> PruneAsync(CancellationToken cancellationToken) => _retention.PruneAsync(cancellationToken);

    Task IHostedLifecycleService.StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _schema.EnsureAsync(cancellationToken);
        }
#pragma warning disable CA1031 // an unreachable database must not stop the app: rows buffer and spill, the writer retries
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.AuditStoreUnavailable(_logger, _dialect.Name, e.GetType().Name);
        }
        _pipeline.Start();
        _pruner ??= _prunes ? Task.Run(() => _retention.RunAsync(_pipeline.Stopping), CancellationToken.None) : Task.CompletedTask;
    }

    Task IHostedLifecycleService.StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every other service (the web server included) has stopped: writes or spills every row still held.</summary>
    async Task IHostedLifecycleService.StoppedAsync(CancellationToken cancellationToken) => await FlushAndStopAsync(cancellationToken);

    /// <summary>Writes every buffered row, or spills what the database does not take within the shutdown timeout, and stops.</summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken)
    {
        await _pipeline.FlushAndStopAsync(cancellationToken);
        if (_pruner is { } pruner)
        {
            await pruner.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_pipeline.StopRequested)
        {
            await FlushAndStopAsync(CancellationToken.None);
        }
        _pipeline.Dispose();
        _schema.Dispose();
    }
}
