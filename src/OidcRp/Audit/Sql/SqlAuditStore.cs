using System.Data;
using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Audit.Sql;

/// <summary>Counts of what the store did with the rows it accepted.</summary>
public sealed record OidcAuditStoreStatistics(long Written, long Buffered, long Spilled, long Failed, bool Spilling);

/// <summary>
/// A durable audit sink and reader over ADO.NET: SQLite or PostgreSQL (<see cref="SqlAuditDialect"/>).
/// <list type="bullet">
/// <item>Creates or upgrades its schema at start-up (versioned steps, serialised across instances).</item>
/// <item>Never makes a login wait on the database: rows go to a bounded in-memory buffer that a background
/// writer empties in batches; when the buffer is full (the database is slow or down) rows go to a local
/// spill file, and are written from it, in order, once the database is back.</item>
/// <item>Inserts are idempotent (<c>ON CONFLICT (id) DO NOTHING</c>), so a retried batch or a replayed
/// spill file never duplicates a row.</item>
/// <item>A graceful shutdown (after the web server has stopped) writes everything, or spills what the
/// database would not take.</item>
/// </list>
/// </summary>
public sealed class SqlAuditStore : IOidcAuditSink, IOidcAuditReader, IHostedLifecycleService, IAsyncDisposable
{
    private readonly DbDataSource _dataSource;
    private readonly SqlAuditDialect _dialect;
    private readonly OidcAuditStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SqlAuditStore> _logger;
    private readonly Channel<OidcAuditRecord> _buffer;
    private readonly AuditSpillFile? _spill;
    private readonly Lock _spillLock = new();
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Counter<long> _rows;
    private bool _spilling;
    private bool _schemaReady;
    private bool _stopped;
    private volatile bool _completing;
    private Task? _writer;
    private Task? _pruner;
    private long _written;
    private long _spilled;
    private long _failed;

    /// <summary>Creates the store; <see cref="OidcAuditStoreServiceCollectionExtensions.AddOidcRpAuditStore"/> is the usual way.</summary>
    public SqlAuditStore(DbDataSource dataSource, SqlAuditDialect dialect, IOptions<OidcAuditStoreOptions> options, TimeProvider time,
        IMeterFactory meterFactory, ILogger<SqlAuditStore> logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(dialect);
        _dataSource = dataSource;
        _dialect = dialect;
        _options = options.Value;
        _options.Validate();
        _time = time;
        _logger = logger;
        _buffer = Channel.CreateBounded<OidcAuditRecord>(new BoundedChannelOptions(_options.BufferCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: a full buffer answers false at once
        });
        if (ReferenceEquals(_options.SpillPath, OidcAuditStoreOptions.DefaultSpillPath))
        {
            _options.SpillPath = OidcAuditStoreOptions.DefaultSpillFile(null);
        }
        if (_options.SpillPath is { Length: > 0 } path)
        {
            _spill = new AuditSpillFile(path, _options.MaxSpillBytes);
            try
            {
                _spill.TrimTornTail(); // a row cut short by a killed process
            }
            catch (IOException e)
            {
                Log.AuditStoreUnavailable(_logger, "spill file", e.GetType().Name);
            }
            _spilling = _spill.HasUnread; // rows left by an earlier run go first
        }
        var meter = meterFactory.Create(OidcRpMetrics.MeterName);
        _rows = meter.CreateCounter<long>("oidcrp.audit.rows", description: "Audit rows by what the durable store did with them (written, spilled, failed).");
        meter.CreateObservableGauge("oidcrp.audit.buffered", () => (long)_buffer.Reader.Count, description: "Audit rows waiting in memory for the database.");
    }

    /// <summary>What happened to the rows so far.</summary>
    public OidcAuditStoreStatistics Statistics
    {
        get
        {
            lock (_spillLock)
            {
                return new(Interlocked.Read(ref _written), _buffer.Reader.Count, Interlocked.Read(ref _spilled), Interlocked.Read(ref _failed), _spilling);
            }
        }
    }

    /// <summary>The database in use, for logs.</summary>
    public string DatabaseName => _dialect.Name;

    /// <inheritdoc />
    public ValueTask WriteAsync(OidcAuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.ProviderId) || string.IsNullOrEmpty(record.Category) || string.IsNullOrEmpty(record.Outcome))
        {
            Fail(1); // a row the table cannot hold would block every later one
            return ValueTask.CompletedTask;
        }
        record = Bounded(record);
        lock (_spillLock)
        {
            // While rows wait in the spill file every new row queues behind them, so order holds.
            if (_spilling || _stopped)
            {
                Spill([record]);
                return ValueTask.CompletedTask;
            }
            if (_buffer.Writer.TryWrite(record))
            {
                return ValueTask.CompletedTask;
            }
            if (_spill is null)
            {
                Fail(1); // no spill file: only rows beyond the full buffer are dropped
                return ValueTask.CompletedTask;
            }
            _spilling = true;
            if (!_stopping.IsCancellationRequested && !_completing)
            {
                Log.AuditBufferFull(_logger, _options.BufferCapacity, _spill?.Path ?? "(none)");
            }
            Spill([record]);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<OidcAuditRecord>> QueryAsync(OidcAuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM oidcrp_audit WHERE 1 = 1");
        if (query.ProviderId is not null)
        {
            sql.Append(" AND provider_id = @provider");
            Add(command, "@provider", query.ProviderId);
        }
        if (query.Category is not null)
        {
            sql.Append(" AND category = @category");
            Add(command, "@category", query.Category);
        }
        if (query.Outcome is not null)
        {
            sql.Append(" AND outcome = @outcome");
            Add(command, "@outcome", query.Outcome);
        }
        if (query.From is { } from)
        {
            sql.Append(" AND ts >= @from");
            Add(command, "@from", ToMicros(from));
        }
        if (query.To is { } to)
        {
            sql.Append(" AND ts < @to");
            Add(command, "@to", ToMicros(to));
        }
        if (query.Before is { } before)
        {
            // Keyset paging: strictly after the cursor row in (ts, id) descending order.
            sql.Append(" AND (ts < @beforeTs OR (ts = @beforeTs AND id < @beforeId))");
            var beforeTs = await TimestampOfAsync(connection, before, cancellationToken);
            if (beforeTs is null)
            {
                return [];
            }
            Add(command, "@beforeTs", beforeTs.Value);
            Add(command, "@beforeId", Key(before));
        }
        sql.Append(" ORDER BY ts DESC, id DESC LIMIT @limit");
        Add(command, "@limit", (long)Math.Clamp(query.Limit, 1, OidcAuditQuery.MaxLimit));
        command.CommandText = sql.ToString();
        var rows = new List<OidcAuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }
        return rows;
    }

    /// <summary>Creates or upgrades the schema now (also done at start-up and before the first write).</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _schemaReady))
        {
            return;
        }
        await _schemaGate.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady)
            {
                return;
            }
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await _dialect.PrepareAsync(connection, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await _dialect.LockForMigrationAsync(connection, transaction, cancellationToken);
            await ExecuteAsync(connection, transaction,
                $"CREATE TABLE IF NOT EXISTS oidcrp_audit_schema (version INTEGER NOT NULL PRIMARY KEY, applied_at {_dialect.BigInt} NOT NULL)",
                cancellationToken);
            await using (var current = connection.CreateCommand())
            {
                current.Transaction = transaction;
                current.CommandText = "SELECT COALESCE(MAX(version), 0) FROM oidcrp_audit_schema";
                var version = Convert.ToInt32(await current.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
                foreach (var (step, statements) in _dialect.Migrations.Where(m => m.Version > version))
                {
                    foreach (var statement in statements)
                    {
                        await ExecuteAsync(connection, transaction, statement, cancellationToken);
                    }
                    await using var record = connection.CreateCommand();
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO oidcrp_audit_schema (version, applied_at) VALUES (@version, @at)";
                    Add(record, "@version", step);
                    Add(record, "@at", ToMicros(_time.GetUtcNow()));
                    await record.ExecuteNonQueryAsync(cancellationToken);
                    Log.AuditSchemaMigrated(_logger, _dialect.Name, step);
                }
            }
            await transaction.CommitAsync(cancellationToken);
            Volatile.Write(ref _schemaReady, true);
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    /// <summary>Deletes rows older than <see cref="OidcAuditStoreOptions.MaxAge"/> in bounded batches; returns how many.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        if (_options.MaxAge is not { } maxAge)
        {
            return 0;
        }
        await EnsureSchemaAsync(cancellationToken);
        var cutoff = ToMicros(_time.GetUtcNow() - maxAge);
        long total = 0;
        while (true)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText =
                "DELETE FROM oidcrp_audit WHERE id IN (SELECT id FROM oidcrp_audit WHERE ts < @cutoff ORDER BY ts LIMIT @batch)";
            Add(command, "@cutoff", cutoff);
            Add(command, "@batch", (long)_options.PruneBatchSize);
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < _options.PruneBatchSize)
            {
                return total;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken); // let writers in between batches
        }
    }

    Task IHostedLifecycleService.StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureSchemaAsync(cancellationToken);
        }
#pragma warning disable CA1031 // an unreachable database must not stop the app: rows buffer and spill, the writer retries
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Log.AuditStoreUnavailable(_logger, _dialect.Name, e.GetType().Name);
        }
        _writer ??= Task.Run(() => WriteLoopAsync(_stopping.Token), CancellationToken.None);
        _pruner ??= _options.MaxAge is null ? Task.CompletedTask : Task.Run(() => PruneLoopAsync(_stopping.Token), CancellationToken.None);
    }

    Task IHostedLifecycleService.StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every other service (the web server included) has stopped: writes or spills every row still held.</summary>
    async Task IHostedLifecycleService.StoppedAsync(CancellationToken cancellationToken) => await FlushAndStopAsync(cancellationToken);

    /// <summary>Writes every buffered row, or spills what the database does not take within the shutdown timeout, and stops.</summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken)
    {
        _completing = true;
        _buffer.Writer.TryComplete();
        if (_writer is { } writer)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ShutdownTimeout);
            try
            {
                await writer.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The database did not take everything in time: the writer spills the rest below.
            }
        }
        await _stopping.CancelAsync();
        if (_writer is { } stopped)
        {
            await stopped.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_pruner is { } pruner)
        {
            await pruner.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        lock (_spillLock)
        {
            _stopped = true;
            var left = new List<OidcAuditRecord>();
            while (_buffer.Reader.TryRead(out var record))
            {
                left.Add(record);
            }
            SpillInFront(left);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await FlushAndStopAsync(CancellationToken.None);
        }
        _stopping.Dispose();
        _schemaGate.Dispose();
    }

    private async Task WriteLoopAsync(CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        List<OidcAuditRecord>? pending = null;
        long spillOffset = -1;
        while (true)
        {
            if (pending is null)
            {
                try
                {
                    (pending, spillOffset) = NextBatch();
                }
#pragma warning disable CA1031 // a spill file error must not end the writer
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
#pragma warning restore CA1031
                {
                    Log.AuditStoreUnavailable(_logger, "spill file", e.GetType().Name);
                    await Task.Delay(delay, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (stopping.IsCancellationRequested)
                    {
                        return;
                    }
                    continue;
                }
                if (pending is null)
                {
                    if (_buffer.Reader.Completion.IsCompleted && !HasSpilledRows())
                    {
                        return;
                    }
                    try
                    {
                        // Wake on a new row, or poll for spilled ones.
                        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                        poll.CancelAfter(TimeSpan.FromMilliseconds(500));
                        await _buffer.Reader.WaitToReadAsync(poll.Token);
                    }
                    catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                    {
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    continue;
                }
            }
            try
            {
                await EnsureSchemaAsync(stopping);
                await InsertAsync(_dataSource, pending, stopping);
                Interlocked.Add(ref _written, pending.Count);
                _rows.Add(pending.Count, new KeyValuePair<string, object?>("state", "written"));
                if (spillOffset >= 0)
                {
                    lock (_spillLock)
                    {
                        _spill!.Advance(spillOffset);
                        if (!_spill.HasUnread)
                        {
                            _spilling = false;
                            Log.AuditSpillDrained(_logger);
                        }
                    }
                }
                pending = null;
                delay = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                KeepUnwritten(pending, spillOffset);
                return;
            }
#pragma warning disable CA1031 // any database failure: keep the batch and retry with backoff
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.AuditStoreUnavailable(_logger, _dialect.Name, e.GetType().Name);
                try
                {
                    await Task.Delay(delay, stopping); // real time: retries must not wait on a test clock
                }
                catch (OperationCanceledException)
                {
                    KeepUnwritten(pending, spillOffset);
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>The next rows in order: the buffer first (it only ever holds rows older than the spill file's), then the spill file.</summary>
    private (List<OidcAuditRecord>? Rows, long SpillOffset) NextBatch()
    {
        var batch = new List<OidcAuditRecord>();
        while (batch.Count < _options.BatchSize && _buffer.Reader.TryRead(out var record))
        {
            batch.Add(record);
        }
        if (batch.Count > 0)
        {
            return (batch, -1);
        }
        lock (_spillLock)
        {
            if (_spill is not null && _spilling)
            {
                var (rows, next) = _spill.Peek(_options.BatchSize);
                if (rows.Count > 0)
                {
                    return (rows, next);
                }
                _spill.Advance(next);
                _spilling = _spill.HasUnread;
            }
        }
        return (null, -1);
    }

    private bool HasSpilledRows()
    {
        lock (_spillLock)
        {
            return _spill is not null && _spilling && _spill.HasUnread;
        }
    }

    /// <summary>
    /// At shutdown with the database away: the unwritten batch, then the rest of the buffer, go in front
    /// of the spill file's own rows, in one step so that their order holds.
    /// </summary>
    private void KeepUnwritten(List<OidcAuditRecord>? batch, long spillOffset)
    {
        var rows = batch is not null && spillOffset < 0 ? new List<OidcAuditRecord>(batch) : []; // a spilled batch is still in the file
        while (_buffer.Reader.TryRead(out var record))
        {
            rows.Add(record);
        }
        lock (_spillLock)
        {
            SpillInFront(rows);
        }
    }

    private void SpillInFront(List<OidcAuditRecord> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        bool kept;
        try
        {
            kept = _spill is not null && (_spill.TryPrepend(rows) || _spill.TryAppend(rows));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.AuditStoreUnavailable(_logger, "spill file", e.GetType().Name);
            kept = false;
        }
        if (kept)
        {
            _spilling = true;
            Interlocked.Add(ref _spilled, rows.Count);
            _rows.Add(rows.Count, new KeyValuePair<string, object?>("state", "spilled"));
            return;
        }
        Fail(rows.Count);
    }

    private void Spill(IReadOnlyList<OidcAuditRecord> rows)
    {
        bool kept;
        try
        {
            kept = _spill is not null && _spill.TryAppend(rows);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.AuditStoreUnavailable(_logger, "spill file", e.GetType().Name);
            kept = false;
        }
        if (kept)
        {
            Interlocked.Add(ref _spilled, rows.Count);
            _rows.Add(rows.Count, new KeyValuePair<string, object?>("state", "spilled"));
            return;
        }
        Fail(rows.Count);
    }

    private void Fail(int count)
    {
        Interlocked.Add(ref _failed, count);
        _rows.Add(count, new KeyValuePair<string, object?>("state", "failed"));
        Log.AuditRowsDropped(_logger, count);
    }

    private async Task PruneLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var deleted = await PruneAsync(stopping);
                if (deleted > 0)
                {
                    Log.AuditPruned(_logger, deleted);
                }
                await Task.Delay(_options.PruneInterval, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // retention retries on its next round
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.AuditStoreUnavailable(_logger, _dialect.Name, e.GetType().Name);
                await Task.Delay(_options.MaxRetryDelay, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
