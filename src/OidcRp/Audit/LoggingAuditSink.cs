using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Audit;

/// <summary>
/// The default sink: every row becomes a structured log event (event id 1201), and the latest rows are
/// kept in a bounded in-memory ring so the admin endpoint can show them. Not durable: a restart loses
/// the ring; register a durable <see cref="IOidcAuditSink"/> for evidence that must survive.
/// </summary>
internal sealed class LoggingAuditSink(ILogger<LoggingAuditSink> logger) : IOidcAuditSink, IOidcAuditReader
{
    internal const int Capacity = 1000;
    private readonly LinkedList<OidcAuditRecord> _ring = new();
    private readonly Lock _gate = new();

    public ValueTask WriteAsync(OidcAuditRecord record, CancellationToken cancellationToken)
    {
        Log.AuditRow(logger, record.Category, record.Outcome, record.ProviderId, record.Reason, record.Kid,
            record.KeysRefreshed, record.TenantId, record.Subject, record.Actor, record.TraceId, record.Count);
        lock (_gate)
        {
            _ring.AddFirst(record);
            if (_ring.Count > Capacity)
            {
                _ring.RemoveLast();
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<OidcAuditRecord>> QueryAsync(OidcAuditQuery query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, OidcAuditQuery.MaxLimit);
        List<OidcAuditRecord> rows;
        lock (_gate)
        {
            IEnumerable<OidcAuditRecord> source = _ring;
            if (query.Before is { } before)
            {
                source = source.SkipWhile(r => r.Id != before).Skip(1);
            }
            rows = source.Where(r => Matches(r, query)).Take(limit).ToList();
        }
        return ValueTask.FromResult<IReadOnlyList<OidcAuditRecord>>(rows);
    }

    private static bool Matches(OidcAuditRecord r, OidcAuditQuery q) =>
        (q.ProviderId is null || string.Equals(r.ProviderId, q.ProviderId, StringComparison.OrdinalIgnoreCase))
        && (q.Category is null || r.Category == q.Category)
        && (q.Outcome is null || r.Outcome == q.Outcome)
        && (q.From is null || r.Timestamp >= q.From)
        && (q.To is null || r.Timestamp < q.To);
}
