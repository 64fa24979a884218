namespace OidcRp;

/// <summary>Options of OidcRp's admin endpoints (<c>MapOidcAdmin</c>), section <c>OidcRp:Admin</c>.</summary>
public sealed class OidcAdminOptions
{
    /// <summary>
    /// Allows an admin policy whose only requirement is an authenticated user (<c>RequireAuthorization()</c>
    /// with the stock default policy, or <c>RequireAuthenticatedUser()</c> alone). Default false: such a policy
    /// stops the application at start-up, because anyone who can sign in through any configured provider
    /// (a Google account, say) would be an administrator. Set it only when every user who can sign in is one.
    /// </summary>
    public bool AllowAnyAuthenticatedAdmin { get; set; }
}
