namespace OidcRp;

/// <summary>
/// Claim types OidcRp adds to the signed-in identity. The prefix <see cref="ReservedPrefix"/> is OidcRp's:
/// a claim of that prefix from any provider (ID token, userinfo, claim actions) refuses the sign-in, and
/// OidcRp's own claims carry the issuer <see cref="Issuer"/>, which no provider can have (a provider's
/// issuer is an absolute URL). Readers such as <see cref="OidcRpPrincipalExtensions.GetOidcProvider"/>
/// trust only claims of that issuer.
/// </summary>
public static class OidcRpClaimTypes
{
    /// <summary>The claim-type prefix reserved for OidcRp (compared ignoring case).</summary>
    public const string ReservedPrefix = "oidcrp_";

    /// <summary>The <see cref="System.Security.Claims.Claim.Issuer"/> of every claim OidcRp adds.</summary>
    public const string Issuer = "OidcRp";

    /// <summary>The id of the provider the user signed in with.</summary>
    public const string Provider = "oidcrp_provider";

    /// <summary>The validated ID token's <c>sub</c>, as OidcRp read it (unique per provider only).</summary>
    public const string Subject = "oidcrp_subject";

    /// <summary>
    /// The tenant (a lowercase GUID, the ID token's <c>tid</c>) of a multi-tenant provider such as Entra ID <c>common</c>;
    /// absent for single-issuer providers. Subjects of such a provider are unique per tenant only.
    /// </summary>
    public const string Tenant = "oidcrp_tenant";

    /// <summary>True when <paramref name="claimType"/> is in OidcRp's reserved namespace.</summary>
    public static bool IsReserved(string claimType) =>
        claimType is not null && claimType.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase);
}
