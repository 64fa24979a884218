using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>
/// The RP of the bearer scenarios: the usual login app plus an API behind <c>AddOidcRpBearer</c> on the same providers
/// (audience <see cref="IOpIssuer.ApiAudience"/>, the OP's access-token <c>typ</c>): <c>GET /api/ping</c> needs a valid
/// token, <c>GET /api/scoped</c> a scope no test OP grants.
/// </summary>
internal static class BearerApi
{
    public const string Ping = "/api/ping";
    public const string Scoped = "/api/scoped";
    private const string NeverGranted = "oidcrp:never-granted";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static Task<Scenario> StartAsync(IOpFixture op, params string[] providerIds) => Scenario.StartAsync(op,
        (services, issuers) =>
        {
            services.AddAuthentication().AddOidcRpBearer(o =>
            {
                foreach (var audience in issuers.Values.Select(i => i.ApiAudience).Distinct())
                {
                    o.Audiences.Add(audience);
                }
                o.TokenTypes.Add(op.AccessTokenType);
            });
            services.AddAuthorizationBuilder()
                .AddPolicy("api", p => p.AddAuthenticationSchemes(OidcRpBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser())
                .AddPolicy("api-scoped", p => p.AddAuthenticationSchemes(OidcRpBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().RequireOidcRpScope(NeverGranted));
        },
        app =>
        {
            app.MapGet(Ping, (ClaimsPrincipal user) => Results.Ok(new { provider = user.GetOidcProvider(), sub = user.FindFirst("sub")?.Value })).RequireAuthorization("api");
            app.MapGet(Scoped, () => Results.Ok()).RequireAuthorization("api-scoped");
        },
        providerIds);

    /// <summary>One API call with <paramref name="token"/> in the Authorization header (none when null).</summary>
    public static async Task<HttpResponseMessage> CallAsync(this Scenario s, string? token, string path = Ping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, s.Rp.BaseUrl + path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await Http.SendAsync(request);
    }

    /// <summary>The status of one API call (the response disposed).</summary>
    public static async Task<int> StatusAsync(this Scenario s, string? token, string path = Ping)
    {
        using var response = await s.CallAsync(token, path);
        return (int)response.StatusCode;
    }

    /// <summary>The token's header kid.</summary>
    public static string Kid(string token) => new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).Kid;

    /// <summary>
    /// The genuine token with its header's kid replaced by a random one: claims the OP issued, a signature that no published
    /// key made for this header. What anyone can send an API at will.
    /// </summary>
    public static string ForgedKid(string genuine)
    {
        var parts = genuine.Split('.');
        var header = JsonSerializer.Deserialize<Dictionary<string, object>>(Base64UrlEncoder.Decode(parts[0]))!;
        header["kid"] = "forged-" + Guid.NewGuid().ToString("N");
        return Base64UrlEncoder.Encode(JsonSerializer.Serialize(header)) + "." + parts[1] + "." + parts[2];
    }

    /// <summary>POSTs <c>{"kid": …}</c> to the revoke or unrevoke endpoint with the admin browser's session cookie.</summary>
    public static async Task<HttpResponseMessage> RevocationAsync(this Scenario s, Tests.Support.BrowserClient admin, string providerId, string action, string kid)
    {
        var uri = new Uri($"{s.Rp.BaseUrl}/auth/oidc/providers/{providerId}/keys/{action}");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = JsonContent.Create(new { kid }) };
        if (admin.Cookies.Header(uri) is { } cookie)
        {
            request.Headers.Add("Cookie", cookie);
        }
        return await Http.SendAsync(request);
    }

    /// <summary>The <c>WWW-Authenticate</c> header as one string.</summary>
    public static string Challenge(HttpResponseMessage response) => string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));

}
