using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OidcRp.Samples.DevOp;

/// <summary>
/// The development OP's access tokens for an API: the client-credentials grant (RFC 6749 §4.4) answered with a
/// JWT access token (RFC 9068, <c>typ: at+jwt</c>) for <see cref="DevOpIssuerOptions.ApiAudience"/>, signed with
/// the same keys (and the same JWKS) as the ID tokens, so a rotation reaches logins and API calls alike.
/// </summary>
internal static class DevOpApi
{
    /// <summary>
    /// OpenIddict redeems authorization codes by itself but leaves other grants to the host: this handler signs
    /// the client in as itself (<c>sub</c> = its client id) with the scopes it asked for.
    /// </summary>
    public static void HandleClientCredentials(OpenIddictServerBuilder server, DevOpIssuerOptions options) =>
        server.AddEventHandler<OpenIddictServerEvents.HandleTokenRequestContext>(handler => handler.UseInlineHandler(context =>
        {
            if (!context.Request.IsClientCredentialsGrantType())
            {
                return default;
            }
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, context.ClientId);
            identity.SetScopes(context.Request.GetScopes());
            identity.SetResources(options.ApiAudience);
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            context.SignIn(new ClaimsPrincipal(identity));
            return default;
        }));
}
