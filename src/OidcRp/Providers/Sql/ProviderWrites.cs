using System.Data.Common;
using System.Globalization;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Providers.Sql;

/// <summary>A row to save, already checked and with its secret columns prepared.</summary>
internal sealed record ProviderRowWrite(
    string Id, string CallbackPath, string SignedOutPath, string Settings, string? ProtectedSecret, string? SecretName, string? Actor);

/// <summary>
/// Saves and removes rows. Each write is one transaction that first bumps the one-row change sequence: that row's
/// lock serialises writers (on SQLite, <c>BEGIN IMMEDIATE</c> does), so versions are handed out in commit order and
/// pollers reading "version above the last seen" never skip one.
/// </summary>
internal static class ProviderWrites
{
    /// <summary>The new version.</summary>
    public static async Task<long> SaveAsync(DbDataSource dataSource, ProviderRowWrite row, long now,
        CancellationToken cancellationToken)
    {
        var key = ProviderRows.Normalize(row.Id);
        var callback = ProviderRows.Normalize(row.CallbackPath);
        var signedOut = ProviderRows.Normalize(row.SignedOutPath);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var version = await NextVersionAsync(connection, transaction, cancellationToken);
        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            // A removed id saved again comes back: same row, tombstone cleared, a new version.
            upsert.CommandText = """
                INSERT INTO oidcrp_providers (id, id_normalized, callback_path_normalized, signed_out_path_normalized, settings,
                    client_secret_protected, client_secret_name, version, updated_at, updated_by, removed_at)
                VALUES (@id, @key, @callback, @signedOut, @settings, @protected, @name, @version, @now, @actor, NULL)
                ON CONFLICT (id_normalized) DO UPDATE SET id = excluded.id, callback_path_normalized = excluded.callback_path_normalized,
                    signed_out_path_normalized = excluded.signed_out_path_normalized, settings = excluded.settings,
                    client_secret_protected = excluded.client_secret_protected, client_secret_name = excluded.client_secret_name,
                    version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by, removed_at = NULL
                """;
            Add(upsert, "@id", row.Id);
            Add(upsert, "@key", key);
            Add(upsert, "@callback", callback);
            Add(upsert, "@signedOut", signedOut);
            Add(upsert, "@settings", row.Settings);
            Add(upsert, "@protected", row.ProtectedSecret);
            Add(upsert, "@name", row.SecretName);
            Add(upsert, "@version", version);
            Add(upsert, "@now", now);
            Add(upsert, "@actor", row.Actor);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// Marks the row removed (a tombstone with a new version, so pollers elsewhere see the removal) and drops its
    /// secret columns; the new version, or null when no live provider has that id.
    /// </summary>
    public static async Task<long?> RemoveAsync(DbDataSource dataSource, string providerId, string? actor, long now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var version = await NextVersionAsync(connection, transaction, cancellationToken);
        await using var remove = connection.CreateCommand();
        remove.Transaction = transaction;
        remove.CommandText = "UPDATE oidcrp_providers SET version = @version, updated_at = @now, updated_by = @actor, removed_at = @now, " +
            "client_secret_protected = NULL, client_secret_name = NULL WHERE id_normalized = @key AND removed_at IS NULL";
        Add(remove, "@version", version);
        Add(remove, "@now", now);
        Add(remove, "@actor", actor);
        Add(remove, "@key", ProviderRows.Normalize(providerId));
        if (await remove.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }
        await transaction.CommitAsync(cancellationToken);
        return version;
    }

    private static async Task<long> NextVersionAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var bump = connection.CreateCommand();
        bump.Transaction = transaction;
        bump.CommandText = "UPDATE oidcrp_providers_sequence SET value = value + 1 WHERE id = 1 RETURNING value";
        return Convert.ToInt64(await bump.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
