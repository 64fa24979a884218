using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>
/// OidcRp's events on a provider's stock handler. Each override does OidcRp's part, then runs the
/// delegates the application set on this object (<c>OnX</c>), then the application's own events object
/// if it replaced <c>Options.Events</c> (<see cref="Inner"/>): customising never removes OidcRp's handlers.
/// </summary>
internal sealed class OidcRpEvents(ProviderEntry entry, CallbackAuditor auditor, CallbackReplayGuard replayGuard) : OpenIdConnectEvents
{
    public OpenIdConnectEvents? Inner { get; set; }

    public override async Task MessageReceived(MessageReceivedContext context)
    {
        var feature = new OidcCallbackFeature(entry.Id) { IdpError = SanitizeErrorCode(context.ProtocolMessage.Error) };
        context.HttpContext.Features.Set(feature);
        if (await CheckIssuerParameterAsync(context) is { } reject)
        {
            // RFC 9207 §2.4: reject before anything else, in particular before any code is redeemed.
            feature.RejectReason = reject;
            context.Fail("The authorization response's issuer does not match the provider.");
            return;
        }
        await base.MessageReceived(context);
        await (Inner?.MessageReceived(context) ?? Task.CompletedTask);
    }

    public override async Task AuthorizationCodeReceived(AuthorizationCodeReceivedContext context)
    {
        // State and correlation passed; before the code goes to the token endpoint, make sure no other
        // callback of this flow got here first (a replay, or a double submit racing this one).
        // Keyed by the code itself (held as a hash): the handler has already cleared the state parameter
        // and the correlation id by now, and "redeem each code at most once" is the rule.
        if ((context.TokenEndpointRequest?.Code ?? context.ProtocolMessage.Code) is { Length: > 0 } code
            && !replayGuard.TryConsume(entry.Id, code))
        {
            if (context.HttpContext.Features.Get<OidcCallbackFeature>() is { } feature)
            {
                feature.RejectReason = "state_replayed";
            }
            context.Fail("This authorization response was already used.");
            return;
        }
        SetStage(context.HttpContext, CallbackStage.CodeReceived);
        await base.AuthorizationCodeReceived(context);
        await (Inner?.AuthorizationCodeReceived(context) ?? Task.CompletedTask);
    }

    public override async Task TokenResponseReceived(TokenResponseReceivedContext context)
    {
        if (string.IsNullOrEmpty(context.TokenEndpointResponse?.IdToken))
        {
            // OIDC Core §3.1.3.3: a token response to an openid request carries an ID token.
            if (context.HttpContext.Features.Get<OidcCallbackFeature>() is { } feature)
            {
                feature.RejectReason = "id_token_missing";
            }
            context.Fail("The token response has no ID token.");
            return;
        }
        SetStage(context.HttpContext, CallbackStage.TokenReceived);
        await base.TokenResponseReceived(context);
        await (Inner?.TokenResponseReceived(context) ?? Task.CompletedTask);
    }

    public override async Task TokenValidated(TokenValidatedContext context)
    {
        // The provider travels with the identity; identities are keyed by (issuer, sub), never by email.
        if (context.Principal?.Identity is System.Security.Claims.ClaimsIdentity identity)
        {
            identity.AddClaim(new System.Security.Claims.Claim(OidcRpClaimTypes.Provider, entry.Id));
        }
        await base.TokenValidated(context);
        await (Inner?.TokenValidated(context) ?? Task.CompletedTask);
    }

    public override async Task TicketReceived(TicketReceivedContext context)
    {
        context.ReturnUri = ReturnUrls.LocalOrRoot(context.ReturnUri);
        await auditor.SucceededAsync(entry, context);
        await base.TicketReceived(context);
        await (Inner?.TicketReceived(context) ?? Task.CompletedTask);
    }

    public override async Task AccessDenied(AccessDeniedContext context)
    {
        await auditor.FailedAsync(entry, context.HttpContext, failure: null, properties: context.Properties);
        await base.AccessDenied(context);
        await (Inner?.AccessDenied(context) ?? Task.CompletedTask);
    }

    public override async Task RemoteFailure(RemoteFailureContext context)
    {
        var category = await auditor.FailedAsync(entry, context.HttpContext, context.Failure, context.Properties);
        await base.RemoteFailure(context);
        await (Inner?.RemoteFailure(context) ?? Task.CompletedTask);
        if (context.Result is null)
        {
            // Nobody handled it: answer with a generic page instead of an exception (no OP text echoed).
            context.HandleResponse();
            await ErrorResponses.WriteAsync(context.HttpContext, category);
        }
    }

    public override async Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        await base.AuthenticationFailed(context);
        await (Inner?.AuthenticationFailed(context) ?? Task.CompletedTask);
    }

    public override async Task RedirectToIdentityProvider(RedirectContext context)
    {
        FlowCookies.Trim(context.HttpContext, context.Options);
        await base.RedirectToIdentityProvider(context);
        await (Inner?.RedirectToIdentityProvider(context) ?? Task.CompletedTask);
    }

    public override async Task RedirectToIdentityProviderForSignOut(RedirectContext context)
    {
        // OidcRp keeps no ID token to send as id_token_hint (SaveTokens is off), so the OP learns the
        // client from client_id (RP-Initiated Logout 1.0 §2); without either, OPs such as oidc-provider
        // and Keycloak ignore post_logout_redirect_uri and the user never comes back.
        if (string.IsNullOrEmpty(context.ProtocolMessage.IdTokenHint))
        {
            context.ProtocolMessage.ClientId ??= context.Options.ClientId;
        }
        await base.RedirectToIdentityProviderForSignOut(context);
        await (Inner?.RedirectToIdentityProviderForSignOut(context) ?? Task.CompletedTask);
    }

    public override async Task RemoteSignOut(RemoteSignOutContext context)
    {
        await base.RemoteSignOut(context);
        await (Inner?.RemoteSignOut(context) ?? Task.CompletedTask);
    }

    public override async Task SignedOutCallbackRedirect(RemoteSignOutContext context)
    {
        await base.SignedOutCallbackRedirect(context);
        await (Inner?.SignedOutCallbackRedirect(context) ?? Task.CompletedTask);
    }

    public override async Task UserInformationReceived(UserInformationReceivedContext context)
    {
        await base.UserInformationReceived(context);
        await (Inner?.UserInformationReceived(context) ?? Task.CompletedTask);
    }

    public override async Task PushAuthorization(PushedAuthorizationContext context)
    {
        await base.PushAuthorization(context);
        await (Inner?.PushAuthorization(context) ?? Task.CompletedTask);
    }

    private async Task<string?> CheckIssuerParameterAsync(MessageReceivedContext context)
    {
        var snapshot = entry.Snapshot;
        if (snapshot is null)
        {
            // RFC 9207 applies whether or not this instance has loaded the provider yet (a restart between the
            // challenge and the callback, another instance, WarmUp off): load it first. The configuration
            // manager is always the registry's (ConfigureProviderSchemes enforces it), so this is the refresher's
            // single-flight load; this request only waits on it, on its own cancellation.
            try
            {
                await context.Options.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
            }
            catch (ProviderUnavailableException)
            {
                return "metadata_unavailable"; // nothing to compare with: refuse before any code is redeemed
            }
            snapshot = entry.Snapshot;
            if (snapshot is null)
            {
                return "metadata_unavailable";
            }
        }
        var iss = context.ProtocolMessage.GetParameter("iss");
        if (iss is not null)
        {
            // RFC 9207 §2.4: simple string comparison with the issuer of the provider the flow is for.
            return string.Equals(iss, snapshot.Issuer, StringComparison.Ordinal) ? null : "iss_mismatch";
        }
        return snapshot.Configuration.AuthorizationResponseIssParameterSupported ? "iss_missing" : null;
    }

    private static void SetStage(Microsoft.AspNetCore.Http.HttpContext context, CallbackStage stage)
    {
        if (context.Features.Get<OidcCallbackFeature>() is { } feature)
        {
            feature.Stage = stage;
        }
    }

    private static string? SanitizeErrorCode(string? error)
    {
        if (string.IsNullOrEmpty(error))
        {
            return null;
        }
        // RFC 6749 §4.1.2.1 error codes are %x20-21 / %x23-5B / %x5D-7E; keep a safe subset, bounded.
        var clean = new string(error.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.').Take(64).ToArray());
        return clean.Length == 0 ? "invalid" : clean;
    }
}
