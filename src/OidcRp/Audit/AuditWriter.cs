using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Audit;

/// <summary>
/// Fills in what every row carries (id, time, client, trace) and hands it to the sink. A sink failure
/// is logged and counted, never thrown: an audit outage must not fail a login.
/// </summary>
internal sealed class AuditWriter(IOidcAuditSink sink, TimeProvider time, OidcRpMetrics metrics, ILogger<AuditWriter> logger)
{
    public async Task WriteAsync(HttpContext? context, OidcAuditRecordDraft draft)
    {
        var now = time.GetUtcNow();
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
            Actor = AuditText.Clean(draft.Actor, AuditText.MaxShort),
            KidsBefore = draft.KidsBefore?.Select(k => AuditText.Clean(k, AuditText.MaxKid)!).ToList(),
            KidsAfter = draft.KidsAfter?.Select(k => AuditText.Clean(k, AuditText.MaxKid)!).ToList(),
            ClientIp = context?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = AuditText.Clean(context?.Request.Headers.UserAgent.ToString(), AuditText.MaxUserAgent) is { Length: > 0 } ua ? ua : null,
            TraceId = Activity.Current?.TraceId.ToString() ?? context?.TraceIdentifier,
        };
        if (draft.Category is not (OidcAuditCategories.AdminRefresh or OidcAuditCategories.AdminAccess))
        {
            metrics.Login(record.ProviderId, record.Category, record.Outcome);
        }
        try
        {
            await sink.WriteAsync(record, CancellationToken.None);
        }
#pragma warning disable CA1031 // by design: the audit sink must never fail the caller
        catch (Exception e)
#pragma warning restore CA1031
        {
            metrics.AuditWriteFailed(record.Category);
            Log.AuditWriteFailed(logger, record.Category, e);
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
    public string? Actor { get; init; }
    public IReadOnlyList<string>? KidsBefore { get; init; }
    public IReadOnlyList<string>? KidsAfter { get; init; }
}
