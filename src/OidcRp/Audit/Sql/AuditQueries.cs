using System.Data.Common;
using System.Text;
using static OidcRp.Audit.Sql.AuditRows;

namespace OidcRp.Audit.Sql;

/// <summary>Reads rows back, newest first, with filters and keyset paging over <c>(ts, id)</c>.</summary>
internal static class AuditQueries
{
    public static async Task<IReadOnlyList<OidcAuditRecord>> QueryAsync(DbDataSource dataSource, OidcAuditQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM oidcrp_audit WHERE 1 = 1");
        if (query.ProviderId is not null)
        {
            sql.Append(" AND provider_id = @provider");
            Add(command, "@provider", query.ProviderId);
        }
        if (query.Category is not null)
        {
            sql.Append(" AND category = @category");
            Add(command, "@category", query.Category);
        }
        if (query.Path is not null)
        {
            sql.Append(" AND token_path = @path");
            Add(command, "@path", query.Path);
        }
        if (query.Outcome is not null)
        {
            sql.Append(" AND outcome = @outcome");
            Add(command, "@outcome", query.Outcome);
        }
        if (query.From is { } from)
        {
            sql.Append(" AND ts >= @from");
            Add(command, "@from", ToMicros(from));
        }
        if (query.To is { } to)
        {
            sql.Append(" AND ts < @to");
            Add(command, "@to", ToMicros(to));
        }
        if (query.Before is { } before)
        {
            // Keyset paging: strictly after the cursor row in (ts, id) descending order.
            sql.Append(" AND (ts < @beforeTs OR (ts = @beforeTs AND id < @beforeId))");
            var beforeTs = await TimestampOfAsync(connection, before, cancellationToken);
            if (beforeTs is null)
            {
                return [];
            }
            Add(command, "@beforeTs", beforeTs.Value);
            Add(command, "@beforeId", Key(before));
        }
        sql.Append(" ORDER BY ts DESC, id DESC LIMIT @limit");
        Add(command, "@limit", (long)Math.Clamp(query.Limit, 1, OidcAuditQuery.MaxLimit));
        command.CommandText = sql.ToString();
        var rows = new List<OidcAuditRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }
        return rows;
    }
}
