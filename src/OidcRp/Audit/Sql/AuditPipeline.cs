using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Audit.Sql;

/// <summary>
/// The path of a row from the request to the database, in order, with bounded memory and no disk I/O on the
/// request thread:
/// <list type="number">
/// <item>The request puts the row in the buffer (<see cref="OidcAuditStoreOptions.BufferCapacity"/> rows).</item>
/// <item>When the buffer is full (the database is slow or away), the row goes to the spill queue (as many rows
/// again) instead, and so does every row after it until the spill is drained, so order holds. A request finding
/// the spill queue full too waits (asynchronously) for room: the disk sets the pace, memory stays bounded.</item>
/// <item>The spill task moves queued rows to the segment files (<see cref="AuditSpillSegments"/>).</item>
/// <item>The writer task writes the buffer, then the segments oldest first, in batches; a segment is deleted as
/// soon as its rows are stored.</item>
/// </list>
/// The buffer only ever holds rows older than the spilled ones: it takes rows only while nothing is spilled.
/// </summary>
internal sealed partial class AuditPipeline : IDisposable
{
    private readonly DbDataSource _dataSource;
    private readonly AuditSchema _schema;
    private readonly OidcAuditStoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _database;
    private readonly Counter<long> _rows;
    private readonly Channel<OidcAuditRecord> _buffer;
    private readonly Channel<OidcAuditRecord> _spillQueue;
    private readonly AuditSpillSegments? _spill;
    private readonly Lock _gate = new(); // the request side's decisions; held for memory operations only
    private readonly Lock _disk = new(); // the segments; taken before _gate when both are needed
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _spiller;
    private bool _spilling;
    private bool _stopped;
    private int _waiting;
    private volatile bool _completing;
    private Task? _writer;
    private long _written;
    private long _spilled;
    private long _failed;

    public AuditPipeline(DbDataSource dataSource, AuditSchema schema, OidcAuditStoreOptions options, ILogger logger, string database, Meter meter)
    {
        _dataSource = dataSource;
        _schema = schema;
        _options = options;
        _logger = logger;
        _database = database;
        // FullMode Wait: TryWrite answers false at once when full; only the spill queue's WriteAsync waits.
        _buffer = Channel.CreateBounded<OidcAuditRecord>(new BoundedChannelOptions(options.BufferCapacity) { SingleReader = true });
        _spillQueue = Channel.CreateBounded<OidcAuditRecord>(new BoundedChannelOptions(options.BufferCapacity) { SingleReader = true });
        if (options.SpillPath is { Length: > 0 } path)
        {
            _spill = new AuditSpillSegments(path, options.MaxSpillBytes);
            try
            {
                _spill.Open(); // segments left by an earlier run go first
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.AuditStoreUnavailable(_logger, "spill file", e.GetType().Name);
            }
            _spilling = _spill.HasUnstored;
        }
        _rows = meter.CreateCounter<long>("oidcrp.audit.rows", description: "Audit rows by what the durable store did with them (written, spilled, failed).");
        meter.CreateObservableGauge("oidcrp.audit.buffered", () => (long)_buffer.Reader.Count, description: "Audit rows waiting in memory for the database.");
        _spiller = Task.Run(SpillLoopAsync, CancellationToken.None);
    }

    public OidcAuditStoreStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new(Interlocked.Read(ref _written), _buffer.Reader.Count, Interlocked.Read(ref _spilled), Interlocked.Read(ref _failed), _spilling);
            }
        }
    }

    internal int SpillSegments
    {
        get
        {
            lock (_disk)
            {
                return _spill?.SegmentCount ?? 0;
            }
        }
    }

    /// <summary>The request side: memory only. Waits (asynchronously) only when both queues are full.</summary>
    public ValueTask EnqueueAsync(OidcAuditRecord record)
    {
        lock (_gate)
        {
            if (!_spilling && !_stopped && _buffer.Writer.TryWrite(record))
            {
                return ValueTask.CompletedTask;
            }
            if (_spill is null)
            {
                Fail(1); // no spill: only rows beyond the full buffer are dropped
                return ValueTask.CompletedTask;
            }
            if (!_spilling)
            {
                _spilling = true;
                if (!_completing)
                {
                    Log.AuditBufferFull(_logger, _options.BufferCapacity, _spill.Path);
                }
            }
            if (_spillQueue.Writer.TryWrite(record))
            {
                return ValueTask.CompletedTask;
            }
            if (!_stopped)
            {
                _waiting++;
                return WaitForRoomAsync(record);
            }
        }
        SpillAfterStop(record); // outside _gate: _disk is always taken first
        return ValueTask.CompletedTask;
    }

    private async ValueTask WaitForRoomAsync(OidcAuditRecord record)
    {
        try
        {
            await _spillQueue.Writer.WriteAsync(record, CancellationToken.None);
        }
        catch (ChannelClosedException)
        {
            SpillAfterStop(record);
        }
        finally
        {
            lock (_gate)
            {
                _waiting--;
            }
        }
    }

    /// <summary>A row that arrives after the store stopped (no request is being served by then).</summary>
    private void SpillAfterStop(OidcAuditRecord record)
    {
        lock (_disk)
        {
            Spill([record]);
        }
    }

    public void Start() => _writer ??= Task.Run(() => WriteLoopAsync(_stopping.Token), CancellationToken.None);

    /// <summary>Writes every held row, or spills what the database does not take within the shutdown timeout, and stops.</summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken)
    {
        _completing = true;
        _buffer.Writer.TryComplete();
        if (_writer is { } writer)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ShutdownTimeout);
            await writer.WaitAsync(timeout.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await _stopping.CancelAsync(); // the database did not take everything in time: the writer spills the rest
        if (_writer is { } stopped)
        {
            await stopped.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        lock (_gate)
        {
            _stopped = true;
        }
        _spillQueue.Writer.TryComplete();
        await _spiller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        KeepUnwritten(null, null); // a writer that never ran leaves the buffer: older than everything spilled
    }

    public bool StopRequested => _stopping.IsCancellationRequested;

    public CancellationToken Stopping => _stopping.Token;

    public void Dispose() => _stopping.Dispose();

    private async Task SpillLoopAsync()
    {
        var batch = new List<OidcAuditRecord>();
        while (await _spillQueue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            lock (_disk)
            {
                while (batch.Count < _options.BatchSize && _spillQueue.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }
                Spill(batch);
            }
            batch.Clear();
        }
    }

    /// <summary>
    /// At shutdown with the database away: the unwritten batch, then the rest of the buffer, go in front of the
    /// spilled rows, as one new segment, so their order holds. A batch read from a segment is still in it.
    /// </summary>
    private void KeepUnwritten(List<OidcAuditRecord>? batch, SpillCursor? cursor)
    {
        var rows = batch is not null && cursor is null ? new List<OidcAuditRecord>(batch) : [];
        while (_buffer.Reader.TryRead(out var record))
        {
            rows.Add(record);
        }
        if (rows.Count == 0)
        {
            return;
        }
        lock (_disk)
        {
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
            Counted(kept, rows.Count);
        }
    }

    /// <summary>Appends to the segments (the caller holds <see cref="_disk"/>); what does not fit under the cap is dropped and counted.</summary>
    private void Spill(IReadOnlyList<OidcAuditRecord> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
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
        Counted(kept, rows.Count);
    }

    private void Counted(bool kept, int count)
    {
        if (kept)
        {
            Interlocked.Add(ref _spilled, count);
            _rows.Add(count, new KeyValuePair<string, object?>("state", "spilled"));
            return;
        }
        Fail(count);
    }

    public void Fail(int count)
    {
        Interlocked.Add(ref _failed, count);
        _rows.Add(count, new KeyValuePair<string, object?>("state", "failed"));
        Log.AuditRowsDropped(_logger, count);
    }
}
