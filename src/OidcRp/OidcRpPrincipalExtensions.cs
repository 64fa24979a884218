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
    /// The tenant (lowercase GUID) the user signed in from, for a multi-tenant provider such as Entra ID <c>common</c>;
    /// null for single-issuer providers and users OidcRp did not sign in.
    /// </summary>
    public static string? GetOidcTenant(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return FindOwn(user, OidcRpClaimTypes.Provider) is null ? null : FindOwn(user, OidcRpClaimTypes.Tenant);
    }

    /// <summary>
    /// How audit rows name this user as an actor: <c>{provider}:{sub}</c> for OidcRp sign-ins (subjects are
    /// only unique per provider), and <c>{provider}:{tenant}:{sub}</c> for a multi-tenant provider (subjects are only
    /// unique per tenant there), all read from OidcRp's own claims; <c>local:{name}</c> (or <c>local</c>) for an
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
        if (FindOwn(user, OidcRpClaimTypes.Subject) is not { } subject)
        {
            return "anonymous";
        }
        return FindOwn(user, OidcRpClaimTypes.Tenant) is { } tenant ? provider + ":" + tenant + ":" + subject : provider + ":" + subject;
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
