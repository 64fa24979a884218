using Microsoft.Extensions.Hosting;

namespace OidcRp.Audit;

/// <summary>
/// Writes aggregate rows as their windows close (a timer on the injected <see cref="TimeProvider"/>, ticking
/// four times per window, so a row is at most a quarter window late), and every open window at host stop. Stop
/// runs before any <see cref="IHostedLifecycleService.StoppedAsync"/>, so a durable store that flushes there
/// (the SQL store does) still receives these rows.
/// </summary>
internal sealed class AuditAggregationFlush(AuditWriter writer, TimeProvider time) : IHostedService, IDisposable
{
    private ITimer? _timer;
    private int _flushing;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (writer.Window > TimeSpan.Zero)
        {
            var period = writer.Window / 4;
            _timer = time.CreateTimer(_ => _ = TickAsync(), null, period, period);
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        await writer.FlushAllAsync(close: true);
    }

    public void Dispose() => Interlocked.Exchange(ref _timer, null)?.Dispose();

    private async Task TickAsync()
    {
        if (Interlocked.Exchange(ref _flushing, 1) == 1)
        {
            return; // a slow sink: the next tick takes what this one would have
        }
        try
        {
            await writer.FlushDueAsync(); // never throws: the writer logs and counts sink failures
        }
        finally
        {
            Volatile.Write(ref _flushing, 0);
        }
    }
}
