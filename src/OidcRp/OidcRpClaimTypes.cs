namespace OidcRp;

/// <summary>Claim types OidcRp adds to the signed-in identity.</summary>
public static class OidcRpClaimTypes
{
    /// <summary>The id of the provider the user signed in with.</summary>
    public const string Provider = "oidcrp_provider";
}
