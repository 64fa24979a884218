using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>Starts a sign-in at a provider and signs out.</summary>
internal static class LoginEndpoints
{
    public static async Task<IResult> LoginAsync(string id, string? returnUrl, HttpContext context, OidcProviderRegistry registry,
        KeyRefresher refresher, AuditWriter audit, ILogger<OidcProviderRegistry> logger)
    {
        if (await registry.FindAsync(id, context.RequestAborted) is not { } entry)
        {
            return Results.NotFound();
        }
        if (!await RequestForgery.HoldsAsync(context))
        {
            return Results.BadRequest();
        }
        // Load metadata before the challenge so an unreachable provider gets a clear answer, not an exception.
        var loaded = await refresher.EnsureLoadedAsync(entry, context.RequestAborted);
        if (loaded.Snapshot is null)
        {
            Log.ChallengeUnavailable(logger, entry.Id, loaded.ErrorCode ?? "unavailable");
            await StartFailedAsync(context, audit, entry.Id, OidcRpReasons.MetadataUnavailable);
            await ErrorResponses.WriteAsync(context, OidcAuditCategories.JwksUnreachable);
            return Results.Empty;
        }
        // The return URL travels inside the protected state, never as a request parameter of the callback.
        var properties = new AuthenticationProperties { RedirectUri = ReturnUrls.LocalOrRoot(returnUrl) };
        try
        {
            // Challenged here, not through Results.Challenge, so that a failure of the one outbound call a challenge
            // can make (the RFC 9126 pushed authorization request) gets an audit row and the error page, not a 500.
            await context.ChallengeAsync(entry.SchemeName, properties);
        }
        catch (Exception e) when (!context.Response.HasStarted && IsPushFailure(e, context))
        {
            Log.PushedAuthorizationFailed(logger, entry.Id, e.GetType().Name);
            context.Response.Clear(); // drops the correlation and nonce cookies of the challenge that did not happen
            await StartFailedAsync(context, audit, entry.Id, OidcRpReasons.ParFailed);
            await ErrorResponses.WriteAsync(context, OidcAuditCategories.LoginStartFailed);
        }
        return Results.Empty;
    }

    /// <summary>
    /// The provider refused the pushed request (an error answer: a wrong client secret, a refused parameter), answered
    /// something unusable, or could not be reached in time. A cancelled request of the user is not a failure.
    /// </summary>
    private static bool IsPushFailure(Exception e, HttpContext context) =>
        e is OpenIdConnectProtocolException or HttpRequestException
        || (e is OperationCanceledException && !context.RequestAborted.IsCancellationRequested);

    private static Task StartFailedAsync(HttpContext context, AuditWriter audit, string providerId, string reason) =>
        audit.WriteAsync(context, new OidcAuditRecordDraft(providerId, OidcAuditCategories.LoginStartFailed, OidcAuditOutcomes.Failure)
        {
            Reason = reason,
            Path = OidcAuditPaths.Login,
        });

    public static async Task<IResult> LogoutAsync(string? returnUrl, HttpContext context, OidcProviderRegistry registry,
        IOptions<OidcRpOptions> rpOptions, IOptions<AuthenticationOptions> authOptions)
    {
        if (!await RequestForgery.HoldsAsync(context))
        {
            return Results.BadRequest();
        }
        var target = ReturnUrls.LocalOrRoot(returnUrl);
        var cookieScheme = rpOptions.Value.SignInScheme ?? authOptions.Value.DefaultSignInScheme ?? authOptions.Value.DefaultScheme;
        var schemes = new List<string>();
        if (cookieScheme is not null)
        {
            schemes.Add(cookieScheme);
        }
        // RP-initiated logout (OIDC RP-Initiated Logout 1.0 §2) only where the provider offers it.
        var providerId = context.User.GetOidcProvider();
        if (await registry.FindAsync(providerId, context.RequestAborted) is { Snapshot.Configuration.EndSessionEndpoint: { Length: > 0 } } entry)
        {
            schemes.Add(entry.SchemeName);
        }
        return Results.SignOut(new AuthenticationProperties { RedirectUri = target }, schemes);
    }
}
