using System.IdentityModel.Tokens.Jwt;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Audit;

namespace OidcRp.Callback;

/// <summary>
/// The userinfo request (OIDC Core §5.3), in place of the stock one: the stock handler lets a transport error or a
/// non-2xx status escape as an exception (audited as an ID token failure), reads a signed answer
/// (<c>application/jwt</c>) without verifying its signature, and checks <c>sub</c> only after the application's event
/// has seen the claims. Here every failure is classified before any claim is used, and the stock steps follow in the
/// stock order: the UserInformationReceived event (OidcRp's reserved-claim check), the stock <c>sub</c> check, the claim actions.
/// </summary>
internal sealed partial class OidcRpHandler
{
    protected override async Task<HandleRequestResult> GetUserInformationAsync(OpenIdConnectMessage message, JwtSecurityToken jwt,
        ClaimsPrincipal principal, AuthenticationProperties properties)
    {
        var configuration = Options.ConfigurationManager is null ? null : await Options.ConfigurationManager.GetConfigurationAsync(Context.RequestAborted);
        var endpoint = configuration?.UserInfoEndpoint;
        if (string.IsNullOrEmpty(endpoint) || string.IsNullOrEmpty(message.AccessToken))
        {
            // As the stock handler: no endpoint advertised or no access token issued, so the ID token's claims are all there is.
            return HandleRequestResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
        }
        var (document, body, reason) = await FetchUserInfoAsync(endpoint, message.AccessToken, jwt.Subject);
        if (reason is not null)
        {
            return RejectUserInfo(reason, properties);
        }
        using (document)
        {
            var received = new UserInformationReceivedContext(Context, Scheme, Options, principal, properties) { ProtocolMessage = message, User = document! };
            await Events.UserInformationReceived(received);
            if (received.Result is not null)
            {
                return received.Result;
            }
            principal = received.Principal!;
            properties = received.Properties!;
            using var user = received.User;
            try
            {
                Options.ProtocolValidator.ValidateUserInfoResponse(new OpenIdConnectProtocolValidationContext { UserInfoEndpointResponse = body, ValidatedIdToken = jwt });
            }
            catch (OpenIdConnectProtocolException)
            {
                return RejectUserInfo(OidcRpReasons.UserInfoSubMismatch, properties);
            }
            var identity = (ClaimsIdentity)principal.Identity!;
            foreach (var action in Options.ClaimActions)
            {
                action.Run(user.RootElement, identity, ClaimsIssuer);
            }
        }
        return HandleRequestResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
    }

    /// <summary>The answer as JSON, or the reason it is refused. Bounded by the back channel's time and size limits.</summary>
    private async Task<(JsonDocument? Document, string? Body, string? Reason)> FetchUserInfoAsync(string endpoint, string accessToken, string? subject)
    {
        string body;
        string? mediaType;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint) { Version = Backchannel.DefaultRequestVersion };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await Backchannel.SendAsync(request, Context.RequestAborted);
            if (!response.IsSuccessStatusCode)
            {
                return (null, null, OidcRpReasons.UserInfoFailed);
            }
            mediaType = response.Content.Headers.ContentType?.MediaType;
            body = await response.Content.ReadAsStringAsync(Context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !Context.RequestAborted.IsCancellationRequested)
        {
            return (null, null, OidcRpReasons.UserInfoFailed); // unreachable, too slow, or larger than MaxResponseBytes
        }
        if (string.Equals(mediaType, "application/jwt", StringComparison.OrdinalIgnoreCase))
        {
            // OIDC Core §5.3.2: a signed (or encrypted) answer. The stock handler would read it unverified; OidcRp refuses it.
            return (null, null, OidcRpReasons.UserInfoSignedUnsupported);
        }
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, OidcRpReasons.UserInfoFailed);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return (null, null, OidcRpReasons.UserInfoFailed);
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, null, OidcRpReasons.UserInfoFailed);
        }
        // OIDC Core §5.3.2: the sub in the answer MUST exactly match the ID token's, else the answer MUST NOT be used.
        if (!document.RootElement.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String
            || !string.Equals(sub.GetString(), subject, StringComparison.Ordinal))
        {
            document.Dispose();
            return (null, null, OidcRpReasons.UserInfoSubMismatch);
        }
        return (document, body, null);
    }

    private HandleRequestResult RejectUserInfo(string reason, AuthenticationProperties properties)
    {
        if (Context.Features.Get<OidcCallbackFeature>() is { } feature)
        {
            feature.RejectReason = reason;
        }
        return HandleRequestResult.Fail("The userinfo answer was refused.", properties);
    }
}
