using System.Data.Common;
using System.Globalization;
using System.Text;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Providers.Sql;

/// <summary>A provider row as stored, before its settings and secret are turned into options.</summary>
internal sealed record ProviderRow(string Id, string IdNormalized, string Settings, string? ProtectedSecret, string? SecretName, long Version);

/// <summary>A row changed after a given version: the poller's view.</summary>
internal sealed record ProviderRowChange(string Id, long Version, string? Actor);

/// <summary>
/// The reads of <c>oidcrp_providers</c>: by id, by callback path, a keyset page, and the changes since a version.
/// Lookups compare normalized columns (upper-case invariant), so they are exact matches on an index, and removed
/// rows (tombstones) are never returned as providers.
/// </summary>
internal static class ProviderRows
{
    private const string Columns = "id, id_normalized, settings, client_secret_protected, client_secret_name, version";

    /// <summary>The key of ids and paths: the store contract compares them ordinally, ignoring letter case.</summary>
    public static string Normalize(string value) => value.ToUpperInvariant();

    public static Task<ProviderRow?> FindByIdAsync(DbDataSource dataSource, string providerId, CancellationToken cancellationToken) =>
        SingleAsync(dataSource, $"SELECT {Columns} FROM oidcrp_providers WHERE id_normalized = @key AND removed_at IS NULL",
            Normalize(providerId), cancellationToken);

    /// <summary>Either path names the provider; a store provider's paths derive from its (unique) id, so at most one matches.</summary>
    public static Task<ProviderRow?> FindByCallbackPathAsync(DbDataSource dataSource, string path, CancellationToken cancellationToken) =>
        SingleAsync(dataSource,
            $"SELECT {Columns} FROM oidcrp_providers WHERE (callback_path_normalized = @key OR signed_out_path_normalized = @key) " +
            "AND removed_at IS NULL ORDER BY id_normalized LIMIT 1",
            Normalize(path), cancellationToken);

    public static async Task<List<ProviderRow>> ListAsync(DbDataSource dataSource, string? afterId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM oidcrp_providers WHERE removed_at IS NULL");
        if (afterId is not null)
        {
            sql.Append(" AND id_normalized > @after");
            Add(command, "@after", Normalize(afterId));
        }
        sql.Append(" ORDER BY id_normalized LIMIT @limit");
        Add(command, "@limit", (long)limit);
        command.CommandText = sql.ToString();
        var rows = new List<ProviderRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }
        return rows;
    }

    /// <summary>The highest committed version: every change up to it is visible (writes take versions in commit order).</summary>
    public static async Task<long> CurrentVersionAsync(DbDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT value FROM oidcrp_providers_sequence WHERE id = 1");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>At most <paramref name="limit"/> rows changed (saved or removed) after <paramref name="after"/>, oldest first.</summary>
    public static async Task<List<ProviderRowChange>> ChangesAsync(DbDataSource dataSource, long after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, version, updated_by FROM oidcrp_providers WHERE version > @after ORDER BY version LIMIT @limit");
        Add(command, "@after", after);
        Add(command, "@limit", (long)limit);
        var changes = new List<ProviderRowChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes.Add(new ProviderRowChange(reader.GetString(0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        return changes;
    }

    private static async Task<ProviderRow?> SingleAsync(DbDataSource dataSource, string sql, string key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        Add(command, "@key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static ProviderRow Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture));
}
