using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using OidcRp.Providers;
using OidcRp.Audit;

namespace OidcRp.Callback;

/// <summary>
/// OidcRp's events on a provider's stock handler. Each override does OidcRp's part, then runs the
/// delegates the application set on this object (<c>OnX</c>), then the application's own events object
/// if it replaced <c>Options.Events</c> (<see cref="Inner"/>): customising never removes OidcRp's handlers.
/// </summary>
internal sealed class OidcRpEvents(ProviderEntry entry, CallbackAuditor auditor, CallbackReplayGuard replayGuard, TimeProvider time) : OpenIdConnectEvents
{
    public OpenIdConnectEvents? Inner { get; set; }

    /// <summary>The provider version these handler options were built for (<see cref="ProviderHandlerOptionsCache"/>).</summary>
    internal ProviderEntry Entry => entry;

    public override async Task MessageReceived(MessageReceivedContext context)
    {
        // OidcRpHandler set the feature with the flow's state hash; a handler of another type (a test seam) did not.
        if (context.HttpContext.Features.Get<OidcCallbackFeature>() is not { } feature || feature.ProviderId != entry.Id)
        {
            feature = new OidcCallbackFeature(entry.Id);
            context.HttpContext.Features.Set(feature);
        }
        feature.IdpError = IdpErrorReason(context.ProtocolMessage.Error);
        if (AuthorizationRequests.ModeMismatch(context))
        {
            feature.RejectReason = OidcRpReasons.ResponseModeMismatch;
            context.Fail("The authorization response came back in another response mode than the one requested.");
            return;
        }
        if (await CheckIssuerParameterAsync(context) is { } reject)
        {
            // RFC 9207 §2.4: reject before anything else, in particular before any code is redeemed.
            feature.RejectReason = reject;
            context.Fail(reject == OidcRpReasons.MetadataUnavailable
                ? "The provider's metadata is unavailable, so the response's issuer cannot be checked."
                : "The authorization response's issuer does not match the provider.");
            return;
        }
        await base.MessageReceived(context);
        await (Inner?.MessageReceived(context) ?? Task.CompletedTask);
    }

    public override async Task AuthorizationCodeReceived(AuthorizationCodeReceivedContext context)
    {
        // State and correlation passed; before the code goes to the token endpoint, make sure no other callback
        // of this flow got here first (a replay, a double submit racing this one, or the same state with another
        // code). Keyed by the state captured in MessageReceived: the handler has cleared it from the message by now.
        var feature = context.HttpContext.Features.Get<OidcCallbackFeature>();
        if (feature?.StateHash is not { } stateHash || !await replayGuard.TryConsumeAsync(entry.Id, stateHash))
        {
            feature?.RejectReason = OidcRpReasons.StateReplayed;
            context.Fail("This login flow was already used.");
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
                feature.RejectReason = OidcRpReasons.IdTokenMissing;
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
        // A claim in OidcRp's namespace from the provider refuses the sign-in: a token must never name its
        // own provider or subject for the app (ReservedClaims). OidcRp's own claims are stamped after the check.
        if (ReservedClaims.HasForeign(context.Principal))
        {
            if (context.HttpContext.Features.Get<OidcCallbackFeature>() is { } feature)
            {
                feature.Validation = new ValidationRecord(OidcAuditCategories.IdTokenInvalid, false, OidcRpReasons.ReservedClaim,
                    feature.Validation?.Kid, feature.Validation?.KeysRefreshed ?? false, feature.Validation?.RefreshDuration);
            }
            context.Fail("The ID token carries a claim reserved for OidcRp.");
            return;
        }
        if (!AuthorizationRequests.AuthTimeValid(context, time))
        {
            if (context.HttpContext.Features.Get<OidcCallbackFeature>() is { } feature)
            {
                feature.Validation = new ValidationRecord(OidcAuditCategories.IdTokenInvalid, false, OidcRpReasons.AuthTimeInvalid,
                    feature.Validation?.Kid, feature.Validation?.KeysRefreshed ?? false, feature.Validation?.RefreshDuration);
            }
            context.Fail("The ID token's auth_time does not satisfy the requested max_age.");
            return;
        }
        if (context.Principal?.Identity is System.Security.Claims.ClaimsIdentity identity)
        {
            // A multi-tenant provider's subjects are unique per tenant only: the tenant is part of the identity.
            ReservedClaims.Stamp(identity, entry.Id, tenantScoped: entry.Snapshot?.IssuerRule.IsTemplate == true);
        }
        await base.TokenValidated(context);
        await (Inner?.TokenValidated(context) ?? Task.CompletedTask);
    }

    public override async Task TicketReceived(TicketReceivedContext context)
    {
        // The last gate before sign-in, after userinfo and claim actions: whatever source added it, a reserved
        // claim OidcRp did not issue refuses the sign-in. A Fail() here would be ignored by the stock handler
        // (it signs in unless the result is handled or skipped), so the failure is answered here.
        if (ReservedClaims.HasForeign(context.Principal))
        {
            var feature = context.HttpContext.Features.Get<OidcCallbackFeature>();
            feature?.RejectReason = OidcRpReasons.ReservedClaim; // classified before the (successful) validation record
            var category = await auditor.FailedAsync(entry, context.HttpContext, failure: null, context.Properties);
            context.HandleResponse();
            await ErrorResponses.WriteAsync(context.HttpContext, category);
            return;
        }
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
        await AuthorizationRequests.ChooseAsync(context, entry);
        await base.RedirectToIdentityProvider(context);
        await (Inner?.RedirectToIdentityProvider(context) ?? Task.CompletedTask);
        if (!context.Handled)
        {
            AuthorizationRequests.Record(context);
        }
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
        if (ReservedClaims.InUserInfo(context.User))
        {
            if (context.HttpContext.Features.Get<OidcCallbackFeature>() is { } feature)
            {
                feature.RejectReason = OidcRpReasons.ReservedClaim;
            }
            context.Fail("The userinfo answer carries a claim reserved for OidcRp.");
            return;
        }
        await base.UserInformationReceived(context);
        await (Inner?.UserInformationReceived(context) ?? Task.CompletedTask);
    }

    public override async Task PushAuthorization(PushedAuthorizationContext context)
    {
        await base.PushAuthorization(context);
        await (Inner?.PushAuthorization(context) ?? Task.CompletedTask);
        // After the application's events, which may push or authenticate the request themselves.
        if (!context.HandledClientAuthentication)
        {
            await AuthorizationRequests.PushAsync(context, entry);
        }
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
                return OidcRpReasons.MetadataUnavailable; // nothing to compare with: refuse before any code is redeemed
            }
            snapshot = entry.Snapshot;
            if (snapshot is null)
            {
                return OidcRpReasons.MetadataUnavailable;
            }
        }
        var iss = context.ProtocolMessage.GetParameter("iss");
        if (iss is not null)
        {
            // RFC 9207 §2.4: simple string comparison with the issuer of the provider the flow is for; for a
            // multi-tenant provider, the template with some allowed tenant (the ID token must then agree: tid and iss).
            var check = snapshot.IssuerRule.Match(iss, out var tenant);
            if (check == IssuerCheck.TenantNotAllowed && context.HttpContext.Features.Get<OidcCallbackFeature>() is { } feature)
            {
                feature.RefusedTenant = tenant;
            }
            return check switch
            {
                IssuerCheck.Valid => null,
                IssuerCheck.TenantNotAllowed => OidcRpReasons.TenantNotAllowed,
                _ => OidcRpReasons.IssMismatch,
            };
        }
        return snapshot.Configuration.AuthorizationResponseIssParameterSupported ? OidcRpReasons.IssMissing : null;
    }

    private static void SetStage(Microsoft.AspNetCore.Http.HttpContext context, CallbackStage stage)
    {
        if (context.Features.Get<OidcCallbackFeature>() is { } feature)
        {
            feature.Stage = stage;
        }
    }

    /// <summary>
    /// The audit reason for an OP's <c>error=</c>: only the registered codes of RFC 6749 §4.1.2.1 and OIDC Core
    /// §3.1.2.6 are kept, anything else is <c>idp_error:other</c>, so no text an attacker puts in a callback
    /// reaches a log line or an audit row.
    /// </summary>
    private static string? IdpErrorReason(string? error) => string.IsNullOrEmpty(error) ? null : OidcRpReasons.IdpError(error);
}
