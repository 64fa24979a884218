using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>Writes exactly one audit row per callback outcome, classified by type and stage, never by message text.</summary>
internal sealed class CallbackAuditor(AuditWriter writer, ILogger<CallbackAuditor> logger)
{
    public async Task SucceededAsync(ProviderEntry entry, TicketReceivedContext context)
    {
        var feature = context.HttpContext.Features.Get<OidcCallbackFeature>();
        if (feature is { Audited: true })
        {
            return;
        }
        var validation = feature?.Validation;
        var category = validation is { Success: true } ? validation.Category : OidcAuditCategories.LoginSucceeded;
        feature?.Audited = true;
        await writer.WriteAsync(context.HttpContext, new OidcAuditRecordDraft(entry.Id, category, OidcAuditOutcomes.Success)
        {
            Kid = validation?.Kid,
            KeysRefreshed = validation?.KeysRefreshed ?? false,
            RefreshDuration = validation?.RefreshDuration,
            Subject = context.Principal?.FindFirst("sub")?.Value,
            TenantId = context.Principal?.GetOidcTenant(),
            Path = OidcAuditPaths.Login,
        });
    }

    /// <summary>Writes the failure row (once) and returns its category.</summary>
    public async Task<string> FailedAsync(ProviderEntry entry, HttpContext context, Exception? failure, AuthenticationProperties? properties)
    {
        var feature = context.Features.Get<OidcCallbackFeature>();
        var (category, reason) = Classify(feature, failure, properties);
        if (feature is { Audited: true })
        {
            return category;
        }
        feature?.Audited = true;
        if (category == OidcAuditCategories.CallbackRejected)
        {
            Log.CallbackRejected(logger, entry.Id, reason);
        }
        else
        {
            Log.TokenRejected(logger, entry.Id, category, reason);
        }
        var validation = feature?.Validation;
        await writer.WriteAsync(context, new OidcAuditRecordDraft(entry.Id, category, OidcAuditOutcomes.Failure)
        {
            Reason = reason,
            Kid = validation?.Kid,
            KeysRefreshed = validation?.KeysRefreshed ?? false,
            RefreshDuration = validation?.RefreshDuration,
            TenantId = feature?.RefusedTenant,
            Path = OidcAuditPaths.Login,
        });
        return category;
    }

    internal static (string Category, string Reason) Classify(OidcCallbackFeature? feature, Exception? failure, AuthenticationProperties? properties)
    {
        if (feature?.Validation is { Success: false } validation)
        {
            return (validation.Category, validation.Reason ?? OidcRpReasons.Unknown);
        }
        if (feature?.RejectReason is { } reject)
        {
            return (OidcAuditCategories.CallbackRejected, reject);
        }
        if (failure is ProviderUnavailableException)
        {
            return (OidcAuditCategories.CallbackRejected, OidcRpReasons.MetadataUnavailable);
        }
        return (feature?.Stage ?? CallbackStage.Received) switch
        {
            CallbackStage.TokenReceived => (OidcAuditCategories.IdTokenInvalid, TokenFailureReasons.From(failure)),
            CallbackStage.CodeReceived => (OidcAuditCategories.CallbackRejected, OidcRpReasons.CodeExchangeFailed),
            // Before the code: an IdP error response, or state that did not unprotect, or a missing correlation cookie.
            _ when feature?.IdpError is { } error => (OidcAuditCategories.CallbackRejected, error),
            _ when properties is null => (OidcAuditCategories.CallbackRejected, OidcRpReasons.StateInvalid),
            _ => (OidcAuditCategories.CallbackRejected, OidcRpReasons.CorrelationFailed),
        };
    }
}
