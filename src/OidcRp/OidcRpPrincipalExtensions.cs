using System.Security.Claims;

namespace OidcRp;

/// <summary>
/// Reads what OidcRp put on a signed-in user. Only claims OidcRp issued itself (issuer
/// <see cref="OidcRpClaimTypes.Issuer"/>) count: a provider cannot name another provider or another subject.
/// </summary>
public static class OidcRpPrincipalExtensions
{
    /// <summary>The id of the provider the user signed in with, or null when OidcRp did not sign them in.</summary>
    public static string? GetOidcProvider(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return FindOwn(user, OidcRpClaimTypes.Provider);
    }

    /// <summary>
    /// How audit rows name this user as an actor: <c>{provider}:{sub}</c> for OidcRp sign-ins (subjects are
    /// only unique per provider), both read from OidcRp's own claims; <c>local:{name}</c> (or <c>local</c>) for an
    /// identity OidcRp did not sign in; <c>anonymous</c> for no user, and also (failing closed) for an OidcRp
    /// identity whose subject claim is missing.
    /// </summary>
    public static string GetOidcAuditActor(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not { IsAuthenticated: true } identity)
        {
            return "anonymous";
        }
        if (FindOwn(user, OidcRpClaimTypes.Provider) is not { } provider)
        {
            // Never "provider:…": a name chosen elsewhere must not read like an OidcRp actor.
            return identity.Name is { Length: > 0 } name ? "local:" + name : "local";
        }
        return FindOwn(user, OidcRpClaimTypes.Subject) is { } subject ? provider + ":" + subject : "anonymous";
    }

    private static string? FindOwn(ClaimsPrincipal user, string type)
    {
        foreach (var identity in user.Identities)
        {
            foreach (var claim in identity.FindAll(type))
            {
                if (string.Equals(claim.Issuer, OidcRpClaimTypes.Issuer, StringComparison.Ordinal))
                {
                    return claim.Value;
                }
            }
        }
        return null;
    }
}
