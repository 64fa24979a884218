using System.Security.Claims;

namespace OidcRp;

/// <summary>Reads what OidcRp put on a signed-in user.</summary>
public static class OidcRpPrincipalExtensions
{
    /// <summary>The id of the provider the user signed in with, or null when OidcRp did not sign them in.</summary>
    public static string? GetOidcProvider(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirst(OidcRpClaimTypes.Provider)?.Value;
    }

    /// <summary>
    /// How audit rows name this user as an actor: <c>{provider}:{sub}</c> for OidcRp sign-ins (subjects
    /// are only unique per issuer), else the subject or name, or <c>anonymous</c>.
    /// </summary>
    public static string GetOidcAuditActor(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not { IsAuthenticated: true } identity)
        {
            return "anonymous";
        }
        var subject = user.FindFirst("sub")?.Value ?? identity.Name ?? "authenticated";
        return user.GetOidcProvider() is { } provider ? provider + ":" + subject : subject;
    }
}
