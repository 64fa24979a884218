using System.Data.Common;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Audit.Sql;

/// <summary>Deletes rows older than <see cref="OidcAuditStoreOptions.MaxAge"/>, in bounded batches, on a schedule.</summary>
internal sealed class AuditRetention(DbDataSource dataSource, AuditSchema schema, OidcAuditStoreOptions options, TimeProvider time, ILogger logger,
    string database)
{
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        if (options.MaxAge is not { } maxAge)
        {
            return 0;
        }
        await schema.EnsureAsync(cancellationToken);
        var cutoff = ToMicros(time.GetUtcNow() - maxAge);
        long total = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText =
                "DELETE FROM oidcrp_audit WHERE id IN (SELECT id FROM oidcrp_audit WHERE ts < @cutoff ORDER BY ts LIMIT @batch)";
            Add(command, "@cutoff", cutoff);
            Add(command, "@batch", (long)options.PruneBatchSize);
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < options.PruneBatchSize)
            {
                return total;
            }
            // Real time: a pause that lets writers in between batches, not a schedule.
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var deleted = await PruneAsync(stopping);
                if (deleted > 0)
                {
                    Log.AuditPruned(logger, deleted);
                }
                await Task.Delay(options.PruneInterval, time, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // retention retries on its next round
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.AuditStoreUnavailable(logger, database, e.GetType().Name);
                await Task.Delay(options.MaxRetryDelay, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
