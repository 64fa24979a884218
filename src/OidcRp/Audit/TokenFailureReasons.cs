using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Audit;

/// <summary>Maps validation exceptions to stable audit reasons by type, never by message text.</summary>
internal static class TokenFailureReasons
{
    public static string From(Exception? exception) => exception switch
    {
        null => OidcRpReasons.Unknown,
        SecurityTokenSignatureKeyNotFoundException => OidcRpReasons.KidNotFound,
        // OidcRp sets the only IssuerSigningKeyValidator: a key bound by its JWKS issuer member to another issuer.
        SecurityTokenInvalidSigningKeyException => OidcRpReasons.KeyIssuerMismatch,
        SecurityTokenInvalidSignatureException => OidcRpReasons.SignatureInvalid,
        SecurityTokenExpiredException => OidcRpReasons.Expired,
        SecurityTokenNotYetValidException => OidcRpReasons.NotYetValid,
        SecurityTokenNoExpirationException => OidcRpReasons.NoExpiration,
        SecurityTokenInvalidLifetimeException => OidcRpReasons.Lifetime,
        SecurityTokenInvalidAudienceException => OidcRpReasons.Audience,
        Providers.SecurityTokenTenantException tenant => tenant.Reason,
        SecurityTokenInvalidIssuerException => OidcRpReasons.Issuer,
        SecurityTokenInvalidAlgorithmException => OidcRpReasons.AlgNotAllowed,
        SecurityTokenMalformedException or ArgumentException => OidcRpReasons.Malformed,
        OpenIdConnectProtocolInvalidNonceException => OidcRpReasons.Nonce,
        OpenIdConnectProtocolInvalidAtHashException => OidcRpReasons.AtHash,
        OpenIdConnectProtocolException => OidcRpReasons.Protocol,
        SecurityTokenException => OidcRpReasons.Invalid,
        _ => OidcRpReasons.Other,
    };
}
