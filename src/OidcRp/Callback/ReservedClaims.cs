using System.Security.Claims;
using System.Text.Json;

namespace OidcRp.Callback;

/// <summary>
/// The reserved-claim rule in one place. Claims whose type starts with <see cref="OidcRpClaimTypes.ReservedPrefix"/>
/// are OidcRp's: one arriving from a provider (ID token payload, userinfo answer, or a claim action fed by
/// either) refuses the sign-in (<see cref="Audit.OidcRpReasons.ReservedClaim"/>) instead of being stripped, so a
/// provider that tries to speak for OidcRp is seen, not silently tolerated. OidcRp's own claims are stamped
/// with <see cref="OidcRpClaimTypes.Issuer"/>, which every reader requires.
/// </summary>
internal static class ReservedClaims
{
    /// <summary>True when any identity of <paramref name="principal"/> holds a reserved claim OidcRp did not issue.</summary>
    public static bool HasForeign(ClaimsPrincipal? principal)
    {
        if (principal is null)
        {
            return false;
        }
        foreach (var identity in principal.Identities)
        {
            foreach (var claim in identity.Claims)
            {
                if (OidcRpClaimTypes.IsReserved(claim.Type) && !string.Equals(claim.Issuer, OidcRpClaimTypes.Issuer, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>True when a userinfo answer (OIDC Core §5.3.2) names a reserved claim at its top level.</summary>
    public static bool InUserInfo(JsonDocument? user)
    {
        if (user?.RootElement is not { ValueKind: JsonValueKind.Object } root)
        {
            return false;
        }
        foreach (var property in root.EnumerateObject())
        {
            if (OidcRpClaimTypes.IsReserved(property.Name))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Adds OidcRp's provider and subject claims to the identity the handler built from the validated ID token, and for
    /// a multi-tenant provider (<paramref name="tenantScoped"/>) its tenant: the issuer rule has checked that <c>tid</c>
    /// is a GUID and that <c>iss</c> is the template with it, so the claim is that GUID in lowercase.
    /// </summary>
    public static void Stamp(ClaimsIdentity identity, string providerId, bool tenantScoped = false)
    {
        identity.AddClaim(new Claim(OidcRpClaimTypes.Provider, providerId, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        if (tenantScoped && Providers.IssuerRule.TryParseTenant(identity.FindFirst("tid")?.Value, out var tenant))
        {
            identity.AddClaim(new Claim(OidcRpClaimTypes.Tenant, tenant, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        }
        // The identity holds only the validated ID token's claims at this point, and IdTokenRules required one
        // string sub of 1–255 characters; without it OidcRp adds no subject and the actor reads fail closed.
        if (identity.FindFirst("sub")?.Value is { Length: > 0 } subject)
        {
            identity.AddClaim(new Claim(OidcRpClaimTypes.Subject, subject, ClaimValueTypes.String, OidcRpClaimTypes.Issuer));
        }
    }
}
