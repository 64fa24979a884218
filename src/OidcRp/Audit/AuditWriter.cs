using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;

namespace OidcRp.Audit;

/// <summary>
/// Fills in what every row carries (id, time, client, trace), folds floods into counted rows
/// (<see cref="AuditAggregator"/>) and hands the rows to the sink. A sink failure is logged and counted,
/// never thrown: an audit outage must not fail a login.
/// </summary>
internal sealed class AuditWriter(IOidcAuditSink sink, TimeProvider time, OidcRpMetrics metrics, IOptions<OidcRpOptions> options,
    ILogger<AuditWriter> logger)
{
    private readonly AuditAggregator _aggregator = new(options.Value.Audit.AggregationWindow, options.Value.Audit.MaxOpenAggregates);

    internal TimeSpan Window => options.Value.Audit.AggregationWindow;

    public async Task WriteAsync(HttpContext? context, OidcAuditRecordDraft draft)
    {
        var now = time.GetUtcNow();
        var address = context?.Connection.RemoteIpAddress;
        var record = new OidcAuditRecord
        {
            Id = Guid.CreateVersion7(now),
            Timestamp = now,
            ProviderId = draft.ProviderId,
            Category = draft.Category,
            Outcome = draft.Outcome,
            Reason = AuditText.Clean(draft.Reason, AuditText.MaxShort),
            Kid = AuditText.Clean(draft.Kid, AuditText.MaxKid),
            KeysRefreshed = draft.KeysRefreshed,
            RefreshDuration = draft.RefreshDuration,
            Subject = AuditText.Clean(draft.Subject, AuditText.MaxShort * 2),
            TenantId = AuditText.Clean(draft.TenantId, AuditText.MaxShort),
            Actor = AuditText.Clean(draft.Actor, AuditText.MaxShort),
            KidsBefore = draft.KidsBefore?.Select(k => AuditText.Clean(k, AuditText.MaxKid)!).ToList(),
            KidsAfter = draft.KidsAfter?.Select(k => AuditText.Clean(k, AuditText.MaxKid)!).ToList(),
            Settings = draft.Settings,
            ClientIp = address?.ToString(),
            UserAgent = AuditText.Clean(context?.Request.Headers.UserAgent.ToString(), AuditText.MaxUserAgent) is { Length: > 0 } ua ? ua : null,
            TraceId = Activity.Current?.TraceId.ToString() ?? context?.TraceIdentifier,
            Path = draft.Path,
        };
        if (draft.Category is not (OidcAuditCategories.AdminRefresh or OidcAuditCategories.AdminAccess or OidcAuditCategories.AdminKeyRevocation
            or OidcAuditCategories.ProviderAdded or OidcAuditCategories.ProviderChanged or OidcAuditCategories.ProviderRemoved
            or OidcAuditCategories.KeysFetched) // fetches have their own meter (OidcRpMetrics.Refresh)
            && draft.Path != OidcAuditPaths.Bearer) // API calls are counted by the bearer meter, not as logins
        {
            metrics.Login(record.ProviderId, record.Category, record.Outcome); // every event, aggregated or not
        }
        var rows = new List<OidcAuditRecord>(2);
        _aggregator.Offer(record, AuditFloodRules.Source(address), rows);
        await WriteRowsAsync(rows);
    }

    /// <summary>Writes the aggregate rows of the windows that have closed (called by a timer).</summary>
    public Task FlushDueAsync()
    {
        var rows = new List<OidcAuditRecord>();
        _aggregator.TakeDue(time.GetUtcNow(), rows);
        return WriteRowsAsync(rows);
    }

    /// <summary>Writes every open window's row now; with <paramref name="close"/> (host stop), every later row is written on its own.</summary>
    public Task FlushAllAsync(bool close)
    {
        var rows = new List<OidcAuditRecord>();
        _aggregator.TakeAll(rows, close);
        return WriteRowsAsync(rows);
    }

    private async Task WriteRowsAsync(List<OidcAuditRecord> rows)
    {
        foreach (var row in rows)
        {
            try
            {
                await sink.WriteAsync(row, CancellationToken.None);
            }
#pragma warning disable CA1031 // by design: the audit sink must never fail the caller
            catch (Exception e)
#pragma warning restore CA1031
            {
                metrics.AuditWriteFailed(row.Category);
                Log.AuditWriteFailed(logger, row.Category, e);
            }
        }
    }
}

/// <summary>What a caller knows about an audit row; <see cref="AuditWriter"/> adds the rest.</summary>
internal sealed record OidcAuditRecordDraft(string ProviderId, string Category, string Outcome)
{
    public string? Reason { get; init; }
    public string? Kid { get; init; }
    public bool KeysRefreshed { get; init; }
    public TimeSpan? RefreshDuration { get; init; }
    public string? Subject { get; init; }
    public string? TenantId { get; init; }
    public string? Actor { get; init; }
    public IReadOnlyList<string>? KidsBefore { get; init; }
    public IReadOnlyList<string>? KidsAfter { get; init; }
    public IReadOnlyList<string>? Settings { get; init; }
    public string? Path { get; init; }
}
