using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Audit.Sql;

/// <summary>The writer task: the buffer first, then the spill segments oldest first, in batches, with backoff while the database is away.</summary>
internal sealed partial class AuditPipeline
{
    private async Task WriteLoopAsync(CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        List<OidcAuditRecord>? pending = null;
        SpillCursor? cursor = null;
        while (true)
        {
            if (pending is null)
            {
                (pending, cursor) = NextBatch();
                if (pending is null)
                {
                    if (!await IdleAsync(stopping))
                    {
                        return;
                    }
                    continue;
                }
            }
            try
            {
                await _schema.EnsureAsync(stopping);
                await AuditRows.InsertAsync(_dataSource, pending, stopping);
                Interlocked.Add(ref _written, pending.Count);
                _rows.Add(pending.Count, new KeyValuePair<string, object?>("state", "written"));
                if (cursor is { } stored)
                {
                    lock (_disk)
                    {
                        _spill!.Advance(stored); // deletes the segment once all its rows are stored
                    }
                }
                pending = null;
                delay = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                KeepUnwritten(pending, cursor);
                return;
            }
#pragma warning disable CA1031 // any database failure: keep the batch and retry with backoff
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.AuditStoreUnavailable(_logger, _database, e.GetType().Name);
                try
                {
                    await Task.Delay(delay, stopping); // real time: retries must not wait on a test clock
                }
                catch (OperationCanceledException)
                {
                    KeepUnwritten(pending, cursor);
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }

    /// <summary>Nothing to write now: ends spilling when the spill is empty, then waits for rows. False when the writer is done.</summary>
    private async Task<bool> IdleAsync(CancellationToken stopping)
    {
        bool drained;
        lock (_disk)
        {
            lock (_gate)
            {
                drained = (_spill is null || !_spill.HasUnstored) && _spillQueue.Reader.Count == 0 && _waiting == 0;
                if (drained && _spilling && !_stopped)
                {
                    _spilling = false;
                    Log.AuditSpillDrained(_logger);
                }
            }
        }
        if (_buffer.Reader.Completion.IsCompleted)
        {
            if (drained)
            {
                return false;
            }
            // Rows on their way to the spill: wait for the spill task to write them.
            await Task.Delay(TimeSpan.FromMilliseconds(20), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return !stopping.IsCancellationRequested;
        }
        try
        {
            // Wake on a new row, or poll for spilled ones (real time).
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            poll.CancelAfter(TimeSpan.FromMilliseconds(drained ? 500 : 50));
            await _buffer.Reader.WaitToReadAsync(poll.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return true;
    }

    /// <summary>The next rows in order: the buffer first (it only ever holds rows older than the spill's), then the oldest segment.</summary>
    private (List<OidcAuditRecord>? Rows, SpillCursor? Cursor) NextBatch()
    {
        var batch = new List<OidcAuditRecord>();
        while (batch.Count < _options.BatchSize && _buffer.Reader.TryRead(out var record))
        {
            batch.Add(record);
        }
        if (batch.Count > 0)
        {
            return (batch, null);
        }
        if (_spill is null)
        {
            return (null, null);
        }
        lock (_disk)
        {
            try
            {
                var (rows, cursor) = _spill.Peek(_options.BatchSize);
                if (rows.Count > 0)
                {
                    return (rows, cursor);
                }
                _spill.Advance(cursor); // only unreadable lines: skipped
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.AuditStoreUnavailable(_logger, "spill file", e.GetType().Name);
            }
        }
        return (null, null);
    }
}
