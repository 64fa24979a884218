using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace OidcRp.Callback;

/// <summary>Maps validation exceptions to stable audit reasons by type, never by message text.</summary>
internal static class TokenFailureReasons
{
    public static string From(Exception? exception) => exception switch
    {
        null => "unknown",
        SecurityTokenSignatureKeyNotFoundException => "kid_not_found",
        SecurityTokenInvalidSignatureException => "signature_invalid",
        SecurityTokenExpiredException => "expired",
        SecurityTokenNotYetValidException => "not_yet_valid",
        SecurityTokenNoExpirationException => "no_expiration",
        SecurityTokenInvalidLifetimeException => "lifetime",
        SecurityTokenInvalidAudienceException => "audience",
        SecurityTokenInvalidIssuerException => "issuer",
        SecurityTokenInvalidAlgorithmException => "alg_not_allowed",
        SecurityTokenMalformedException or ArgumentException => "malformed",
        OpenIdConnectProtocolInvalidNonceException => "nonce",
        OpenIdConnectProtocolInvalidAtHashException => "at_hash",
        OpenIdConnectProtocolException => "protocol",
        SecurityTokenException => "invalid",
        _ => "other",
    };
}
