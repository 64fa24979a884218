using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using OidcRp.Audit;
using OidcRp.Providers;

namespace OidcRp.Admin;

/// <summary>Marks OidcRp's admin endpoints (for the start-up guard and the denied-call audit).</summary>
/// <param name="IsRefresh">True for the forced-refresh endpoint.</param>
internal sealed record OidcAdminEndpointMetadata(bool IsRefresh);

/// <summary>The admin endpoints' handlers. Bodies carry stable codes only, never an OP's response.</summary>
internal static class AdminEndpoints
{
    public static IResult ListProviders(IOidcProviders providers) => Results.Ok(providers.GetStatuses());

    public static IResult GetProvider(string id, IOidcProviders providers) =>
        providers.GetStatus(id) is { } status ? Results.Ok(status) : Results.NotFound();

    public static async Task<IResult> RefreshAsync(string id, HttpContext context, IOidcProviders providers, OidcProviderRegistry registry, AuditWriter audit)
    {
        if (!await Callback.RequestForgery.HoldsAsync(context))
        {
            if (registry.Find(id) is { } entry)
            {
                await audit.WriteAsync(context, new OidcAuditRecordDraft(entry.Id, OidcAuditCategories.AdminRefresh, OidcAuditOutcomes.Denied)
                {
                    Actor = context.User.GetOidcAuditActor(),
                    Reason = "antiforgery_invalid",
                });
            }
            return Results.Json(new { error = "antiforgery_invalid" }, statusCode: StatusCodes.Status400BadRequest);
        }
        var result = await providers.RefreshAsync(id, context.User.GetOidcAuditActor(), context.RequestAborted);
        switch (result.Status)
        {
            case OidcRefreshStatus.NotFound:
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

    public static async Task<IResult> QueryAuditAsync(HttpContext context, IOidcAuditSink sink, string? provider, string? category,
        string? outcome, DateTimeOffset? from, DateTimeOffset? to, Guid? before, int? limit)
    {
        if (sink is not IOidcAuditReader reader)
        {
            return Results.Json(new { error = "audit_not_queryable" }, statusCode: StatusCodes.Status501NotImplemented);
        }
        var rows = await reader.QueryAsync(new OidcAuditQuery
        {
            ProviderId = provider,
            Category = category,
            Outcome = outcome,
            From = from,
            To = to,
            Before = before,
            Limit = Math.Clamp(limit ?? 50, 1, OidcAuditQuery.MaxLimit),
        }, context.RequestAborted);
        return Results.Ok(rows);
    }
}
