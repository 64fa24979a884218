using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OidcRp.Tests.Support;

/// <summary>The RP app's API, present when it is started with bearer options: what an app exposing an API to its SPA maps.</summary>
public sealed partial class RpApp
{
    /// <summary>The bearer scheme's name in the test app.</summary>
    public const string BearerScheme = OidcRpBearerDefaults.AuthenticationScheme;

    internal static void AddApiPolicies(AuthorizationOptions options)
    {
        options.AddPolicy("Api", p => p.AddAuthenticationSchemes(BearerScheme).RequireAuthenticatedUser());
        options.AddPolicy("ApiWrite", p => p.AddAuthenticationSchemes(BearerScheme).RequireAuthenticatedUser().RequireOidcRpScope("api.write"));
    }

    /// <summary><c>GET /api/me</c> (any valid token) and <c>POST /api/write</c> (scope <c>api.write</c>).</summary>
    internal static void MapApi(WebApplication app)
    {
        app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Ok(new
        {
            provider = user.GetOidcProvider(),
            sub = user.FindFirst("sub")?.Value,
            scopes = user.FindAll(OidcRpBearerDefaults.ScopeClaimType).Select(c => c.Value).ToArray(),
            roles = user.FindAll(OidcRpBearerDefaults.RoleClaimType).Select(c => c.Value).ToArray(),
        })).RequireAuthorization("Api");
        app.MapPost("/api/write", () => Results.Ok(new { written = true })).RequireAuthorization("ApiWrite");
    }

    /// <summary>A client for the API: no cookies, the token in the Authorization header when given.</summary>
    public HttpClient ApiClient() => new() { BaseAddress = new Uri(BaseUrl) };
}
