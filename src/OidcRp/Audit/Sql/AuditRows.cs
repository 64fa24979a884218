using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OidcRp.Audit.Sql;

/// <summary>The <c>oidcrp_audit</c> table's columns and the mapping of a row to and from them.</summary>
internal static class AuditRows
{
    internal const string Columns =
        "id, ts, provider_id, category, outcome, reason, kid, keys_refreshed, refresh_ms, subject, client_ip, user_agent, trace_id, actor, kids_before, kids_after, event_count, tenant_id, token_path";

    /// <summary>One batch in one transaction, idempotent: a retried batch or a replayed spill file never writes a row twice.</summary>
    internal static async Task InsertAsync(DbDataSource dataSource, List<OidcAuditRecord> rows, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder($"INSERT INTO oidcrp_audit ({Columns}) VALUES ");
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture,
                $"(@id{i}, @ts{i}, @pr{i}, @ca{i}, @ou{i}, @re{i}, @ki{i}, @kr{i}, @rm{i}, @su{i}, @ip{i}, @ua{i}, @tr{i}, @ac{i}, @kb{i}, @ka{i}, @ct{i}, @tn{i}, @pa{i})");
            Add(command, $"@id{i}", Key(r.Id));
            Add(command, $"@ts{i}", ToMicros(r.Timestamp));
            Add(command, $"@pr{i}", r.ProviderId);
            Add(command, $"@ca{i}", r.Category);
            Add(command, $"@ou{i}", r.Outcome);
            Add(command, $"@re{i}", r.Reason);
            Add(command, $"@ki{i}", r.Kid);
            Add(command, $"@kr{i}", (short)(r.KeysRefreshed ? 1 : 0));
            Add(command, $"@rm{i}", r.RefreshDuration?.TotalMilliseconds, DbType.Double);
            Add(command, $"@su{i}", r.Subject);
            Add(command, $"@ip{i}", r.ClientIp);
            Add(command, $"@ua{i}", r.UserAgent);
            Add(command, $"@tr{i}", r.TraceId);
            Add(command, $"@ac{i}", r.Actor);
            Add(command, $"@kb{i}", r.KidsBefore is null ? null : JsonSerializer.Serialize(r.KidsBefore, AuditJson.Options));
            Add(command, $"@ka{i}", r.KidsAfter is null ? null : JsonSerializer.Serialize(r.KidsAfter, AuditJson.Options));
            Add(command, $"@ct{i}", r.Count);
            Add(command, $"@tn{i}", r.TenantId);
            Add(command, $"@pa{i}", r.Path);
        }
        // A retried batch or a replayed spill file never writes a row twice.
        sql.Append(" ON CONFLICT (id) DO NOTHING");
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    internal static async Task<long?> TimestampOfAsync(DbConnection connection, Guid id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts FROM oidcrp_audit WHERE id = @id";
        Add(command, "@id", Key(id));
        return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : null;
    }

    internal static OidcAuditRecord Read(DbDataReader reader)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        IReadOnlyList<string>? Kids(int i) => Text(i) is { } json ? JsonSerializer.Deserialize<List<string>>(json, AuditJson.Options) : null;
        return new OidcAuditRecord
        {
            Id = Guid.ParseExact(reader.GetString(0), "N"),
            Timestamp = FromMicros(Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)),
            ProviderId = reader.GetString(2),
            Category = reader.GetString(3),
            Outcome = reader.GetString(4),
            Reason = Text(5),
            Kid = Text(6),
            KeysRefreshed = Convert.ToInt32(reader.GetValue(7), CultureInfo.InvariantCulture) != 0,
            RefreshDuration = reader.IsDBNull(8) ? null : TimeSpan.FromMilliseconds(Convert.ToDouble(reader.GetValue(8), CultureInfo.InvariantCulture)),
            Subject = Text(9),
            ClientIp = Text(10),
            UserAgent = Text(11),
            TraceId = Text(12),
            Actor = Text(13),
            KidsBefore = Kids(14),
            KidsAfter = Kids(15),
            Count = Convert.ToInt32(reader.GetValue(16), CultureInfo.InvariantCulture),
            TenantId = Text(17),
            Path = Text(18),
        };
    }

    /// <summary>Every text field capped and control characters escaped, whoever called the sink.</summary>
    internal static OidcAuditRecord Bounded(OidcAuditRecord r) => r with
    {
        ProviderId = AuditText.Clean(r.ProviderId, AuditText.MaxShort)!,
        Category = AuditText.Clean(r.Category, AuditText.MaxShort)!,
        Outcome = AuditText.Clean(r.Outcome, AuditText.MaxShort)!,
        Reason = AuditText.Clean(r.Reason, AuditText.MaxShort),
        Kid = AuditText.Clean(r.Kid, AuditText.MaxKid),
        Subject = AuditText.Clean(r.Subject, AuditText.MaxShort * 2),
        TenantId = AuditText.Clean(r.TenantId, AuditText.MaxShort),
        Path = AuditText.Clean(r.Path, AuditText.MaxShort),
        ClientIp = AuditText.Clean(r.ClientIp, 64),
        UserAgent = AuditText.Clean(r.UserAgent, AuditText.MaxUserAgent),
        TraceId = AuditText.Clean(r.TraceId, 64),
        Actor = AuditText.Clean(r.Actor, AuditText.MaxShort),
        KidsBefore = r.KidsBefore?.Take(64).Select(k => AuditText.Clean(k, AuditText.MaxKid)!).ToList(),
        KidsAfter = r.KidsAfter?.Take(64).Select(k => AuditText.Clean(k, AuditText.MaxKid)!).ToList(),
        Count = Math.Max(1, r.Count), // a row stands for at least its own event
    };

    internal static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static void Add(DbCommand command, string name, object? value, DbType? nullType = null)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        switch (value)
        {
            case null when nullType is { } type:
                parameter.DbType = type; // a typed NULL: PostgreSQL will not take a text NULL for a number column
                break;
            case string or null:
                parameter.DbType = DbType.String;
                break;
            case long:
                parameter.DbType = DbType.Int64;
                break;
            case int:
                parameter.DbType = DbType.Int32;
                break;
            case short:
                parameter.DbType = DbType.Int16;
                break;
            case double:
                parameter.DbType = DbType.Double;
                break;
        }
        command.Parameters.Add(parameter);
    }

    internal static string Key(Guid id) => id.ToString("N");

    internal static long ToMicros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    internal static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
}
