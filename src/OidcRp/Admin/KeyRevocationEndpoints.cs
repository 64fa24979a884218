using Microsoft.AspNetCore.Http;
using OidcRp.Audit;
using OidcRp.Providers;

namespace OidcRp.Admin;

/// <summary>The body of a revoke or un-revoke call: <c>{"kid": "…"}</c> (a kid may hold <c>/</c>, so it is not in the path).</summary>
internal sealed record KidRequest(string? Kid);

/// <summary>
/// <c>POST /auth/oidc/providers/{id}/keys/revoke</c> and <c>…/keys/unrevoke</c>, under the admin policy and the same
/// antiforgery rule as the forced refresh. Answers: 200 <c>{providerId, kid, changed, revoked, kids}</c>; 400
/// <c>{error: "kid_malformed"}</c> or <c>{error: "antiforgery_invalid"}</c>; 404 for an unknown provider. Each call writes an
/// <c>admin_key_revocation</c> row with the actor (<see cref="KeyRevocations"/>); refused calls write one too.
/// </summary>
internal static class KeyRevocationEndpoints
{
    public static Task<IResult> RevokeAsync(string id, KidRequest? body, HttpContext context, IOidcKeyRevocations revocations,
        OidcProviderRegistry registry, AuditWriter audit) => ChangeAsync(id, body, context, revocations, registry, audit, revoke: true);

    public static Task<IResult> UnrevokeAsync(string id, KidRequest? body, HttpContext context, IOidcKeyRevocations revocations,
        OidcProviderRegistry registry, AuditWriter audit) => ChangeAsync(id, body, context, revocations, registry, audit, revoke: false);

    private static async Task<IResult> ChangeAsync(string id, KidRequest? body, HttpContext context, IOidcKeyRevocations revocations,
        OidcProviderRegistry registry, AuditWriter audit, bool revoke)
    {
        var action = revoke ? OidcRpReasons.KidRevoke : OidcRpReasons.KidUnrevoke;
        if (!await Callback.RequestForgery.HoldsAsync(context))
        {
            await Row(context, audit, registry.Find(id)?.Id ?? AdminEndpoints.UnknownProvider, OidcAuditOutcomes.Denied, OidcRpReasons.AntiforgeryInvalid);
            return Results.Json(new { error = OidcRpReasons.AntiforgeryInvalid }, statusCode: StatusCodes.Status400BadRequest);
        }
        var actor = context.User.GetOidcAuditActor();
        var kid = body?.Kid ?? "";
        var result = revoke
            ? await revocations.RevokeAsync(id, kid, actor, context.RequestAborted)
            : await revocations.UnrevokeAsync(id, kid, actor, context.RequestAborted);
        switch (result.Status)
        {
            case OidcKeyRevocationStatus.NotFound:
                await Row(context, audit, AdminEndpoints.UnknownProvider, OidcAuditOutcomes.Failure, OidcRpReasons.UnknownProvider);
                return Results.NotFound();
            case OidcKeyRevocationStatus.KidMalformed:
                await Row(context, audit, result.ProviderId!, OidcAuditOutcomes.Failure, OidcRpReasons.KidMalformed); // the kid itself is not stored
                return Results.Json(new { error = OidcRpReasons.KidMalformed }, statusCode: StatusCodes.Status400BadRequest);
            default:
                return Results.Ok(new
                {
                    providerId = result.ProviderId,
                    kid,
                    action,
                    changed = result.Status == OidcKeyRevocationStatus.Done,
                    revoked = result.Revoked,
                    kids = result.Kids,
                });
        }
    }

    private static Task Row(HttpContext context, AuditWriter audit, string providerId, string outcome, string reason) =>
        audit.WriteAsync(context, new OidcAuditRecordDraft(providerId, OidcAuditCategories.AdminKeyRevocation, outcome)
        {
            Actor = context.User.GetOidcAuditActor(),
            Reason = reason,
        });
}
