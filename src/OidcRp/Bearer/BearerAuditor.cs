using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OidcRp.Audit;
using OidcRp.Diagnostics;

namespace OidcRp.Bearer;

/// <summary>
/// What the bearer path records. API calls are not login events: every token is counted on the <c>OidcRp</c> meter
/// (<c>oidcrp.bearer.tokens</c>, by provider, outcome and reason) and no accepted token writes a row. Rows (path
/// <c>bearer</c>) are written for a recovered rotation (one each), a kid the rule could not recover or refused to fetch,
/// a fetch that failed, and forgery-shaped refusals (<see cref="AuditFloodRules"/>); the last three are aggregated per source
/// and window like forged callbacks. Ordinary refusals (expired, wrong audience, insufficient scope, opaque token) are
/// metrics and a debug log line only: a client with a stale token must not fill the audit store.
/// </summary>
internal sealed class BearerAuditor
{
    private readonly AuditWriter _audit;
    private readonly ILogger<BearerAuditor> _logger;
    private readonly Counter<long> _tokens;

    public BearerAuditor(AuditWriter audit, IMeterFactory meters, ILogger<BearerAuditor> logger)
    {
        _audit = audit;
        _logger = logger;
        _tokens = meters.Create(OidcRpMetrics.MeterName).CreateCounter<long>("oidcrp.bearer.tokens",
            description: "Bearer tokens by provider, outcome and reason (accepted ones included; rows are written for few).");
    }

    public void Count(string? providerId, string? reason)
    {
        _tokens.Add(1, new TagList
        {
            { "provider", providerId ?? "*" }, { "outcome", reason is null ? OidcAuditOutcomes.Success : OidcAuditOutcomes.Failure }, { "reason", reason ?? "" },
        });
    }

    public Task RecordAsync(HttpContext context, BearerResult result)
    {
        var providerId = result.Candidate?.Entry.Id;
        var reason = result.Succeeded ? null : result.Reason;
        Count(providerId, reason);
        if (reason is not null)
        {
            Log.BearerRefused(_logger, providerId ?? "*", result.Category, reason);
        }
        var row = result.Category switch
        {
            OidcAuditCategories.KidMismatchRecovered => result.Succeeded,
            OidcAuditCategories.KidMismatchUnrecovered or OidcAuditCategories.KidMismatchThrottled => true,
            OidcAuditCategories.JwksUnreachable => result.Refreshed, // a fetch was tried (bounded by the budget), not a provider still loading
            OidcAuditCategories.AccessTokenInvalid => AuditFloodRules.IsFloodShaped(result.Category, OidcAuditOutcomes.Failure, reason),
            _ => false,
        };
        if (!row)
        {
            return Task.CompletedTask;
        }
        return _audit.WriteAsync(context, new OidcAuditRecordDraft(providerId ?? Admin.AdminEndpoints.UnknownProvider, result.Category,
            result.Succeeded ? OidcAuditOutcomes.Success : OidcAuditOutcomes.Failure)
        {
            Path = OidcAuditPaths.Bearer,
            Reason = reason,
            Kid = result.Kid,
            KeysRefreshed = result.Refreshed,
            RefreshDuration = result.Refreshed ? result.Duration : null,
            Subject = result.Identity?.FindFirst("sub")?.Value,
        });
    }
}
