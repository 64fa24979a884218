using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Providers.Sql;

/// <summary>
/// Creates or upgrades the <c>oidcrp_providers</c> schema with the dialect's versioned steps, recorded in their own
/// table (<c>oidcrp_providers_schema</c>, apart from the audit store's), once per process, in one transaction under
/// the dialect's migration lock (so instances starting together migrate once).
/// </summary>
internal sealed class ProviderStoreSchema(DbDataSource dataSource, SqlProviderStoreDialect dialect, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _ready;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _ready))
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_ready)
            {
                return;
            }
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await dialect.PrepareAsync(connection, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await dialect.LockForMigrationAsync(connection, transaction, cancellationToken);
            await ExecuteAsync(connection, transaction,
                $"CREATE TABLE IF NOT EXISTS oidcrp_providers_schema (version INTEGER NOT NULL PRIMARY KEY, applied_at {dialect.BigInt} NOT NULL)",
                cancellationToken);
            await using (var current = connection.CreateCommand())
            {
                current.Transaction = transaction;
                current.CommandText = "SELECT COALESCE(MAX(version), 0) FROM oidcrp_providers_schema";
                var version = Convert.ToInt32(await current.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
                foreach (var (step, statements) in dialect.Migrations.Where(m => m.Version > version))
                {
                    foreach (var statement in statements)
                    {
                        await ExecuteAsync(connection, transaction, statement, cancellationToken);
                    }
                    await using var record = connection.CreateCommand();
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO oidcrp_providers_schema (version, applied_at) VALUES (@version, @at)";
                    Add(record, "@version", step);
                    Add(record, "@at", ToMicros(time.GetUtcNow()));
                    await record.ExecuteNonQueryAsync(cancellationToken);
                    Log.ProviderStoreSchemaMigrated(logger, dialect.Name, step);
                }
            }
            await transaction.CommitAsync(cancellationToken);
            Volatile.Write(ref _ready, true);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
