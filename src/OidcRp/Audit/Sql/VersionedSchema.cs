using System.Data.Common;
using System.Globalization;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Audit.Sql;

/// <summary>What a versioned schema is made of: its version table, its steps and the dialect's connection set-up and lock.</summary>
internal sealed record SchemaSteps(
    string VersionTable,
    string BigInt,
    IReadOnlyList<(int Version, string[] Statements)> Migrations,
    Func<DbConnection, CancellationToken, Task> PrepareAsync,
    Func<DbConnection, DbTransaction, CancellationToken, Task> LockAsync);

/// <summary>
/// Creates or upgrades a schema with its versioned steps, recorded in its own version table, once per process, in one
/// transaction under the dialect's migration lock (so instances starting together migrate once). The audit store and
/// the provider store each have one, in their own tables.
/// </summary>
internal class VersionedSchema(DbDataSource dataSource, SchemaSteps schema, TimeProvider time, Action<int> migrated) : IDisposable
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
            await schema.PrepareAsync(connection, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await schema.LockAsync(connection, transaction, cancellationToken);
            await ExecuteAsync(connection, transaction,
                $"CREATE TABLE IF NOT EXISTS {schema.VersionTable} (version INTEGER NOT NULL PRIMARY KEY, applied_at {schema.BigInt} NOT NULL)",
                cancellationToken);
            await using (var current = connection.CreateCommand())
            {
                current.Transaction = transaction;
                current.CommandText = $"SELECT COALESCE(MAX(version), 0) FROM {schema.VersionTable}";
                var version = Convert.ToInt32(await current.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
                foreach (var (step, statements) in schema.Migrations.Where(m => m.Version > version))
                {
                    foreach (var statement in statements)
                    {
                        await ExecuteAsync(connection, transaction, statement, cancellationToken);
                    }
                    await using var record = connection.CreateCommand();
                    record.Transaction = transaction;
                    record.CommandText = $"INSERT INTO {schema.VersionTable} (version, applied_at) VALUES (@version, @at)";
                    Add(record, "@version", step);
                    Add(record, "@at", ToMicros(time.GetUtcNow()));
                    await record.ExecuteNonQueryAsync(cancellationToken);
                    migrated(step);
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

    public void Dispose()
    {
        _gate.Dispose();
        GC.SuppressFinalize(this);
    }
}
