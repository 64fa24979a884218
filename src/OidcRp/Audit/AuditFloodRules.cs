using System.Net;
using System.Net.Sockets;

namespace OidcRp.Audit;

/// <summary>
/// Which rows a flood is made of, and who sends it. A row is aggregated only when anyone on the network can
/// produce it at will without the provider's help (a denied admin call, a forged or replayed authorization
/// response, a token the provider never signed); every row that needs a real login, a real provider answer or a
/// refresh (successes, recoveries, <c>jwks_unreachable</c>, code exchange failures, IdP errors, expired tokens…)
/// keeps a row of its own. docs/audit.md's "Audit under floods" lists the same codes.
/// </summary>
internal static class AuditFloodRules
{
    /// <summary>callback_rejected reasons a request can produce with no provider in the loop.</summary>
    private static readonly HashSet<string> ForgedCallbackReasons = new(StringComparer.Ordinal)
    {
        OidcRpReasons.StateInvalid, OidcRpReasons.CorrelationFailed, OidcRpReasons.StateReplayed, OidcRpReasons.IssMismatch, OidcRpReasons.IssMissing,
        OidcRpReasons.ResponseTooLarge, OidcRpReasons.ParameterRepeated, OidcRpReasons.ResponseModeMismatch,
    };

    /// <summary>id_token_invalid reasons of a token its provider never signed, or signed for something else.</summary>
    private static readonly HashSet<string> ForgedTokenReasons = new(StringComparer.Ordinal)
    {
        OidcRpReasons.SignatureInvalid, OidcRpReasons.Malformed, OidcRpReasons.AlgNotAllowed, OidcRpReasons.KidMalformed, OidcRpReasons.TypNotAllowed, OidcRpReasons.CritUnsupported,
        OidcRpReasons.EmbeddedKeyNotAllowed, OidcRpReasons.TokenTooLarge, OidcRpReasons.JweNotAllowed,
    };

    /// <summary>
    /// access_token_invalid reasons of a bearer token its provider never signed or that names what it must not: anyone can
    /// send them at will. Ordinary refusals (expired, audience, insufficient scope, opaque tokens) write no row at all.
    /// </summary>
    private static readonly HashSet<string> ForgedBearerReasons = new(ForgedTokenReasons.Concat(
        [OidcRpReasons.KidRevoked, OidcRpReasons.IssuerUnknown, OidcRpReasons.IdTokenAsBearer, OidcRpReasons.CnfNotSupported, OidcRpReasons.ReservedClaim]),
        StringComparer.Ordinal);

    public static bool IsFloodShaped(string category, string outcome, string? reason) => category switch
    {
        OidcAuditCategories.AccessTokenInvalid => outcome == OidcAuditOutcomes.Failure && reason is not null && ForgedBearerReasons.Contains(reason),
        OidcAuditCategories.AdminAccess or OidcAuditCategories.AdminRefresh => outcome == OidcAuditOutcomes.Denied,
        OidcAuditCategories.CallbackRejected => outcome == OidcAuditOutcomes.Failure && reason is not null && ForgedCallbackReasons.Contains(reason),
        OidcAuditCategories.KidMismatchUnrecovered or OidcAuditCategories.KidMismatchThrottled => outcome == OidcAuditOutcomes.Failure,
        // While a provider is down or refuses the pushed request, anyone can repeat GET /auth/oidc/{id}/login at will.
        OidcAuditCategories.LoginStartFailed => outcome == OidcAuditOutcomes.Failure,
        OidcAuditCategories.IdTokenInvalid => outcome == OidcAuditOutcomes.Failure && reason is not null && ForgedTokenReasons.Contains(reason),
        _ => false,
    };

    /// <summary>
    /// The source of a request: its client address as ASP.NET Core reports it (<c>Connection.RemoteIpAddress</c>,
    /// which the app's ForwardedHeaders middleware sets behind a proxy). IPv4 addresses (IPv4-mapped ones too) are
    /// one source each; IPv6 addresses are grouped by /64, the smallest prefix one subscriber is given
    /// (RFC 6177), so a host cannot make each request a new source by rotating its interface id.
    /// </summary>
    public static string Source(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
