using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>Starts a sign-in at a provider and signs out.</summary>
internal static class LoginEndpoints
{
    public static async Task<IResult> LoginAsync(string id, string? returnUrl, HttpContext context, OidcProviderRegistry registry,
        KeyRefresher refresher, ILogger<OidcProviderRegistry> logger)
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
            await ErrorResponses.WriteAsync(context, Audit.OidcAuditCategories.JwksUnreachable);
            return Results.Empty;
        }
        // The return URL travels inside the protected state, never as a request parameter of the callback.
        var properties = new AuthenticationProperties { RedirectUri = ReturnUrls.LocalOrRoot(returnUrl) };
        return Results.Challenge(properties, [entry.SchemeName]);
    }

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
        if (registry.Find(providerId) is { Snapshot.Configuration.EndSessionEndpoint: { Length: > 0 } } entry)
        {
            schemes.Add(entry.SchemeName);
        }
        return Results.SignOut(new AuthenticationProperties { RedirectUri = target }, schemes);
    }
}
