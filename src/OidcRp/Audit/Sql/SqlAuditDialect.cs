using System.Data.Common;

namespace OidcRp.Audit.Sql;

/// <summary>
/// What differs between the databases the SQL audit store supports: column types, the lock that
/// serialises schema migrations across instances, and connection set-up. Everything else (the queries,
/// the idempotent insert) is SQL both understand. The store takes an ADO.NET <see cref="DbDataSource"/>,
/// so OidcRp itself references no database driver.
/// </summary>
public abstract class SqlAuditDialect
{
    /// <summary>SQLite (Microsoft.Data.Sqlite): one file, WAL journal; migrations serialised by <c>BEGIN IMMEDIATE</c>.</summary>
    public static SqlAuditDialect Sqlite { get; } = new SqliteDialect();

    /// <summary>PostgreSQL (Npgsql): one table shared by every instance; migrations serialised by an advisory lock.</summary>
    public static SqlAuditDialect PostgreSql { get; } = new PostgreSqlDialect();

    /// <summary>A name for logs and errors.</summary>
    public abstract string Name { get; }

    internal abstract string BigInt { get; }

    internal abstract string Real { get; }

    internal abstract string SmallInt { get; }

    /// <summary>Runs once per connection before the migration transaction (outside it).</summary>
    internal virtual Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Takes the migration lock inside the migration transaction.</summary>
    internal virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>The versioned schema steps; a step never changes once released, new ones are appended.</summary>
    internal IReadOnlyList<(int Version, string[] Statements)> Migrations =>
    [
        (1,
        [
            $"""
            CREATE TABLE IF NOT EXISTS oidcrp_audit (
                id TEXT NOT NULL PRIMARY KEY,
                ts {BigInt} NOT NULL,
                provider_id TEXT NOT NULL,
                category TEXT NOT NULL,
                outcome TEXT NOT NULL,
                reason TEXT NULL,
                kid TEXT NULL,
                keys_refreshed {SmallInt} NOT NULL,
                refresh_ms {Real} NULL,
                subject TEXT NULL,
                client_ip TEXT NULL,
                user_agent TEXT NULL,
                trace_id TEXT NULL,
                actor TEXT NULL,
                kids_before TEXT NULL,
                kids_after TEXT NULL
            )
            """,
            // Newest first, overall and per provider or category; retention deletes by time.
            "CREATE INDEX IF NOT EXISTS ix_oidcrp_audit_ts ON oidcrp_audit (ts, id)",
            "CREATE INDEX IF NOT EXISTS ix_oidcrp_audit_provider_ts ON oidcrp_audit (provider_id, ts, id)",
            "CREATE INDEX IF NOT EXISTS ix_oidcrp_audit_category_ts ON oidcrp_audit (category, ts, id)",
        ]),
        // How many events a row stands for: aggregate rows of floods count many (OidcAuditRecord.Count).
        // Existing rows each stood for one event. INTEGER is 32-bit on PostgreSQL, 64-bit on SQLite: either holds an int.
        (2,
        [
            "ALTER TABLE oidcrp_audit ADD COLUMN event_count INTEGER NOT NULL DEFAULT 1",
        ]),
        // The tenant of a multi-tenant provider (Entra ID common): sub is unique per tenant only. Older rows had none.
        (3,
        [
            "ALTER TABLE oidcrp_audit ADD COLUMN tenant_id TEXT NULL",
        ]),
        // Step 5 (bearer tokens): which token path a row comes from (login or bearer; null on admin and older rows), and
        // the revoked kids, kept here so that every instance sharing the database sees one list and it survives restarts.
        (5,
        [
            "ALTER TABLE oidcrp_audit ADD COLUMN token_path TEXT NULL",
            $"""
            CREATE TABLE IF NOT EXISTS oidcrp_revoked_kids (
                provider_id TEXT NOT NULL,
                kid TEXT NOT NULL,
                revoked_at {BigInt} NOT NULL,
                actor TEXT NULL,
                PRIMARY KEY (provider_id, kid)
            )
            """,
        ]),
    ];

    private sealed class SqliteDialect : SqlAuditDialect
    {
        public override string Name => "SQLite";

        internal override string BigInt => "INTEGER";

        internal override string Real => "REAL";

        internal override string SmallInt => "INTEGER";

        internal override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            // WAL lets readers (the admin page) run while the writer writes; the setting sticks to the file.
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL";
            await command.ExecuteScalarAsync(cancellationToken);
        }
    }

    private sealed class PostgreSqlDialect : SqlAuditDialect
    {
        // An arbitrary, fixed key: every OidcRp instance migrating this database takes the same lock.
        private const long MigrationLockKey = 0x4f69_6463_5270_4155; // "OidcRpAU"

        public override string Name => "PostgreSQL";

        internal override string BigInt => "BIGINT";

        internal override string Real => "DOUBLE PRECISION";

        internal override string SmallInt => "SMALLINT";

        internal override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"SELECT pg_advisory_xact_lock({MigrationLockKey})";
            await command.ExecuteScalarAsync(cancellationToken);
        }
    }
}
