using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OidcRp;
using OidcRp.Admin;
using OidcRp.Callback;

#pragma warning disable IDE0130 // extension methods live in the namespace their users already import
namespace Microsoft.AspNetCore.Builder;
#pragma warning restore IDE0130

/// <summary>Maps OidcRp's endpoints.</summary>
public static class OidcRpEndpointRouteBuilderExtensions
{
    /// <summary>The route prefix of every OidcRp endpoint.</summary>
    public const string Prefix = "/auth/oidc";

    /// <summary>
    /// Provider ids that cannot be used: the literal first segments of the routes below. A provider
    /// <c>providers</c> would lose its login route to the admin route <c>providers/{id}</c> (literal segments win),
    /// and its callback <c>/auth/oidc/providers/callback</c> would swallow the admin view of a provider <c>callback</c>.
    /// </summary>
    internal static readonly IReadOnlySet<string> ReservedIds =
        new HashSet<string>(["providers", "audit", "logout"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <paramref name="path"/> is one of the routes mapped below. Callback paths are answered by the
    /// authentication middleware before routing, so a callback path equal to a route would hide that route.
    /// </summary>
    internal static bool IsRoute(string path)
    {
        if (!path.StartsWith(Prefix + "/", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var s = path[(Prefix.Length + 1)..].TrimEnd('/').Split('/');
        static bool Is(string segment, string literal) => string.Equals(segment, literal, StringComparison.OrdinalIgnoreCase);
        return s switch
        {
            [var one] => Is(one, "logout") || Is(one, "audit") || Is(one, "providers"),
            [var first, var second] => Is(first, "providers") || Is(second, "login"),
            [var first, _, var third] => Is(first, "providers") && Is(third, "refresh"),
            [var first, _, var third, _] => Is(first, "providers") && Is(third, "keys"),
            _ => false,
        };
    }

    /// <summary>
    /// Maps <c>GET|POST /auth/oidc/{id}/login?returnUrl=</c> (404 for an unknown provider; a non-local
    /// return URL becomes <c>/</c>) and <c>POST /auth/oidc/logout</c> (RP-initiated logout at the
    /// provider when it offers an <c>end_session_endpoint</c>). Callbacks are handled by the schemes.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The group, for further conventions.</returns>
    public static RouteGroupBuilder MapOidcRp(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(Prefix);
        group.MapMethods("{id}/login", [HttpMethods.Get, HttpMethods.Post], LoginEndpoints.LoginAsync).AllowAnonymous();
        group.MapPost("logout", LoginEndpoints.LogoutAsync);
        return group;
    }

    /// <summary>
    /// Maps the admin endpoints: <c>GET /auth/oidc/providers</c>, <c>GET /auth/oidc/providers/{id}</c>,
    /// <c>POST /auth/oidc/providers/{id}/refresh</c>, <c>GET /auth/oidc/audit</c> and
    /// <c>POST /auth/oidc/providers/{id}/keys/revoke</c> / <c>…/keys/unrevoke</c> (body <c>{"kid": "…"}</c>). They must be given an
    /// authorization policy (<c>.RequireAuthorization("policy")</c>); without one the application fails at start-up.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The group, to call <c>RequireAuthorization</c> on.</returns>
    public static RouteGroupBuilder MapOidcAdmin(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(Prefix);
        group.MapGet("providers", AdminEndpoints.ListProviders).WithMetadata(new OidcAdminEndpointMetadata(false));
        group.MapGet("providers/{id}", AdminEndpoints.GetProvider).WithMetadata(new OidcAdminEndpointMetadata(false));
        group.MapPost("providers/{id}/refresh", AdminEndpoints.RefreshAsync).WithMetadata(new OidcAdminEndpointMetadata(true));
        group.MapGet("audit", AdminEndpoints.QueryAuditAsync).WithMetadata(new OidcAdminEndpointMetadata(false));
        group.MapPost("providers/{id}/keys/revoke", KeyRevocationEndpoints.RevokeAsync).WithMetadata(new OidcAdminEndpointMetadata(true, OidcRp.Audit.OidcAuditCategories.AdminKeyRevocation));
        group.MapPost("providers/{id}/keys/unrevoke", KeyRevocationEndpoints.UnrevokeAsync).WithMetadata(new OidcAdminEndpointMetadata(true, OidcRp.Audit.OidcAuditCategories.AdminKeyRevocation));
        ((IEndpointConventionBuilder)group).Finally(AdminEndpointGuard.RequireAuthorizationPolicy);
        endpoints.ServiceProvider.GetService<AdminEndpointSources>()?.Add(endpoints.DataSources);
        return group;
    }
}
