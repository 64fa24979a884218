using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using OidcRp.Audit;
using OidcRp.Providers;

namespace OidcRp.Admin;

/// <summary>Marks OidcRp's admin endpoints (for the start-up guard and the denied-call audit).</summary>
/// <param name="IsRefresh">True for the state-changing endpoints (refresh, key revocation).</param>
/// <param name="Category">The audit category of a denied call, when not the refresh's or a read's.</param>
internal sealed record OidcAdminEndpointMetadata(bool IsRefresh, string? Category = null);

/// <summary>
/// The admin endpoints' handlers. Bodies carry stable codes only, never an OP's response. Every call writes
/// an audit row with the actor; an id that names no provider is recorded as <c>*</c>, never as given, so
/// the audit never stores attacker input, and it answers a bare 404 that tells nothing about other ids.
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>The provider column of a row about an id that names no provider.</summary>
    internal const string UnknownProvider = "*";

    public static async Task<IResult> ListProviders(HttpContext context, IOidcProviders providers, AuditWriter audit)
    {
        await Row(context, audit, UnknownProvider, OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Success, OidcRpReasons.List);
        return Results.Ok(providers.GetStatuses());
    }

    public static async Task<IResult> GetProvider(string id, HttpContext context, IOidcProviders providers, OidcProviderRegistry registry, AuditWriter audit)
    {
        if (registry.Find(id) is not { } entry || providers.GetStatus(entry.Id) is not { } status)
        {
            await Row(context, audit, UnknownProvider, OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Failure, OidcRpReasons.UnknownProvider);
            return Results.NotFound();
        }
        await Row(context, audit, entry.Id, OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Success, OidcRpReasons.Status);
        return Results.Ok(status);
    }

    public static async Task<IResult> RefreshAsync(string id, HttpContext context, IOidcProviders providers, OidcProviderRegistry registry, AuditWriter audit)
    {
        if (!await Callback.RequestForgery.HoldsAsync(context))
        {
            await Row(context, audit, registry.Find(id)?.Id ?? UnknownProvider, OidcAuditCategories.AdminRefresh, OidcAuditOutcomes.Denied, OidcRpReasons.AntiforgeryInvalid);
            return Results.Json(new { error = OidcRpReasons.AntiforgeryInvalid }, statusCode: StatusCodes.Status400BadRequest);
        }
        var result = await providers.RefreshAsync(id, context.User.GetOidcAuditActor(), context.RequestAborted);
        switch (result.Status)
        {
            case OidcRefreshStatus.NotFound:
                await Row(context, audit, UnknownProvider, OidcAuditCategories.AdminRefresh, OidcAuditOutcomes.Failure, OidcRpReasons.UnknownProvider);
                return Results.NotFound();
            case OidcRefreshStatus.Throttled:
                var seconds = (int)Math.Ceiling((result.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds);
                context.Response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
                return Results.Json(new { error = "refresh_throttled", retryAfterSeconds = Math.Max(1, seconds) }, statusCode: StatusCodes.Status429TooManyRequests);
            case OidcRefreshStatus.Failed:
                return Results.Json(new { error = "provider_unreachable", code = result.ErrorCode, kids = result.KidsAfter }, statusCode: StatusCodes.Status502BadGateway);
            default:
                return Results.Ok(new { providerId = result.ProviderId, kidsBefore = result.KidsBefore, kidsAfter = result.KidsAfter, changed = result.Changed });
        }
    }

    public static async Task<IResult> QueryAuditAsync(HttpContext context, IOidcAuditSink sink, AuditWriter audit, string? provider, string? category,
        string? outcome, DateTimeOffset? from, DateTimeOffset? to, Guid? before, int? limit, string? path)
    {
        if (sink is not IOidcAuditReader reader)
        {
            await Row(context, audit, UnknownProvider, OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Failure, OidcRpReasons.AuditNotQueryable);
            return Results.Json(new { error = OidcRpReasons.AuditNotQueryable }, statusCode: StatusCodes.Status501NotImplemented);
        }
        var rows = await reader.QueryAsync(new OidcAuditQuery
        {
            ProviderId = provider,
            Category = category,
            Outcome = outcome,
            Path = path,
            From = from,
            To = to,
            Before = before,
            Limit = Math.Clamp(limit ?? 50, 1, OidcAuditQuery.MaxLimit),
        }, context.RequestAborted);
        // Recorded after the read, so a page shows what was there before this call.
        await Row(context, audit, UnknownProvider, OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Success, OidcRpReasons.AuditQuery);
        return Results.Ok(rows);
    }

    private static Task Row(HttpContext context, AuditWriter audit, string providerId, string category, string outcome, string reason) =>
        audit.WriteAsync(context, new OidcAuditRecordDraft(providerId, category, outcome)
        {
            Actor = context.User.GetOidcAuditActor(),
            Reason = reason,
        });
}
