using System.Data.Common;

namespace OidcRp.Providers.Sql;

/// <summary>
/// What differs between the databases the SQL provider store supports: column types, the collation of the
/// lookup keys, the lock that serialises schema migrations across instances, and connection set-up. The queries
/// are SQL both understand. The store takes an ADO.NET <see cref="DbDataSource"/>, so OidcRp itself references
/// no database driver.
/// </summary>
public abstract class SqlProviderStoreDialect
{
    /// <summary>SQLite (Microsoft.Data.Sqlite): one file, WAL journal; writes serialised by <c>BEGIN IMMEDIATE</c>.</summary>
    public static SqlProviderStoreDialect Sqlite { get; } = new SqliteDialect();

    /// <summary>PostgreSQL (Npgsql): one table shared by every instance; migrations serialised by an advisory lock.</summary>
    public static SqlProviderStoreDialect PostgreSql { get; } = new PostgreSqlDialect();

    /// <summary>A name for logs and errors.</summary>
    public abstract string Name { get; }

    internal abstract string BigInt { get; }

    /// <summary>
    /// The type of the normalized (upper-case) lookup keys. Byte order, so that <c>ORDER BY</c> is the ordinal
    /// order the store contract promises whatever the database's default collation.
    /// </summary>
    internal abstract string KeyText { get; }

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
            CREATE TABLE IF NOT EXISTS oidcrp_providers (
                id TEXT NOT NULL,
                id_normalized {KeyText} NOT NULL PRIMARY KEY,
                callback_path_normalized {KeyText} NOT NULL,
                signed_out_path_normalized {KeyText} NOT NULL,
                settings TEXT NOT NULL,
                client_secret_protected TEXT NULL,
                client_secret_name TEXT NULL,
                version {BigInt} NOT NULL,
                updated_at {BigInt} NOT NULL,
                updated_by TEXT NULL,
                removed_at {BigInt} NULL
            )
            """,
            // The callback looks a provider up by either of its paths; the poller reads changes by version.
            "CREATE INDEX IF NOT EXISTS ix_oidcrp_providers_callback ON oidcrp_providers (callback_path_normalized)",
            "CREATE INDEX IF NOT EXISTS ix_oidcrp_providers_signed_out ON oidcrp_providers (signed_out_path_normalized)",
            "CREATE UNIQUE INDEX IF NOT EXISTS ix_oidcrp_providers_version ON oidcrp_providers (version)",
            // One row: the change sequence. A write bumps it first, inside its transaction, so the row lock orders
            // writers: a version is committed before any higher one is handed out, and a poller reading
            // "version > last seen" never skips a change that commits late (a database SEQUENCE would allow that).
            $"CREATE TABLE IF NOT EXISTS oidcrp_providers_sequence (id INTEGER NOT NULL PRIMARY KEY, value {BigInt} NOT NULL)",
            "INSERT INTO oidcrp_providers_sequence (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
        ]),
    ];

    private sealed class SqliteDialect : SqlProviderStoreDialect
    {
        public override string Name => "SQLite";

        internal override string BigInt => "INTEGER";

        internal override string KeyText => "TEXT"; // BINARY, SQLite's default collation, compares bytes

        internal override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            // WAL lets readers (every login's lookup) run while a writer writes; the setting sticks to the file.
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL";
            await command.ExecuteScalarAsync(cancellationToken);
        }
    }

    private sealed class PostgreSqlDialect : SqlProviderStoreDialect
    {
        // An arbitrary, fixed key, not the audit store's: every OidcRp instance migrating this database takes the same lock.
        private const long MigrationLockKey = 0x4f69_6463_5270_5052; // "OidcRpPR"

        public override string Name => "PostgreSQL";

        internal override string BigInt => "BIGINT";

        internal override string KeyText => "TEXT COLLATE \"C\"";

        internal override async Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"SELECT pg_advisory_xact_lock({MigrationLockKey})";
            await command.ExecuteScalarAsync(cancellationToken);
        }
    }
}
