using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace OidcRp.Samples.MvcApp;

/// <summary>
/// The sample's small API (<c>GET /api/whoami</c>), protected by OidcRp's bearer scheme on the same providers the
/// login uses: called by services with a client-credentials token, or by this app itself with the signed-in user's
/// access token when <c>Sample:Api:SaveTokens</c> is on.
/// </summary>
public static class SampleApi
{
    public const string Policy = "SampleApi";
    public const string Path = "/api/whoami";

    /// <summary>The bearer scheme that guards the API.</summary>
    public const string Scheme = OidcRpBearerDefaults.AuthenticationScheme;

    /// <summary>What the API answers: who called, through which provider, with which scopes.</summary>
    public sealed record Caller(string? Provider, string? Subject, string? ClientId, string? Scope);

    public static Caller Describe(ClaimsPrincipal user) => new(
        user.GetOidcProvider(), user.FindFirstValue("sub"), user.FindFirstValue("client_id"), user.FindFirstValue("scope"));

    public static void Map(WebApplication app) =>
        app.MapGet(Path, (ClaimsPrincipal user) => Results.Ok(Describe(user))).RequireAuthorization(Policy);

    /// <summary>Calls this app's own API with the signed-in user's saved access token; null when none was saved.</summary>
    public static async Task<string?> CallWithUserTokenAsync(HttpContext context, IHttpClientFactory http)
    {
        var token = await context.GetTokenAsync("access_token");
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{context.Request.Scheme}://{context.Request.Host}{Path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.CreateClient().SendAsync(request, context.RequestAborted);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(context.RequestAborted)}";
    }
}
