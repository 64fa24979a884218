using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>
/// The two APIs the bearer benchmark compares, each on Kestrel at 127.0.0.1 with one protected endpoint
/// (<c>GET /api/ping</c>) in front of the same test OP: stock <c>AddJwtBearer</c> (its own
/// <c>ConfigurationManager</c> from the authority, every default kept) and OidcRp's <c>AddOidcRpBearer</c> on the
/// registry. Also the tokens both receive: RFC 9068 access tokens for <see cref="Audience"/>.
/// </summary>
internal static class BearerApps
{
    public const string Audience = "bench-api";
    public const string Stock = "stock";
    public const string OidcRp = "OidcRp";

    public sealed record Api(WebApplication App, string BaseUrl, string Scheme) : IAsyncDisposable
    {
        public IServiceProvider Services => App.Services;

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    public static async Task<Api> StartAsync(string kind, TestOp op)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        string scheme;
        if (kind == Stock)
        {
            scheme = JwtBearerDefaults.AuthenticationScheme;
            builder.Services.AddAuthentication(scheme).AddJwtBearer(o =>
            {
                o.Authority = op.Issuer;
                o.Audience = Audience;
                o.RequireHttpsMetadata = false;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.ValidTypes = ["at+jwt"];
            });
        }
        else
        {
            scheme = BearerOidcRpSide.Configure(builder, op);
        }
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/api/ping", () => Results.Text("pong")).RequireAuthorization();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return new Api(app, url, scheme);
    }

    /// <summary>An RFC 9068 access token for the API signed by <paramref name="key"/>.</summary>
    public static string Token(TestOp op, TestSigningKey key, string subject = "svc-1") => key.Sign(
        new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = "at+jwt", ["kid"] = key.Kid },
        Claims(op, subject));

    /// <summary>A token naming a random kid the OP never published (random signature: nobody gets to verify it).</summary>
    public static string Forged(TestOp op)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value));
        var header = new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = "at+jwt", ["kid"] = "forged-" + Guid.NewGuid().ToString("N") };
        return Part(header) + "." + Part(Claims(op, "mallory")) + "." + Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));
    }

    private static Dictionary<string, object?> Claims(TestOp op, string subject)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new Dictionary<string, object?>
        {
            ["iss"] = op.Issuer, ["aud"] = Audience, ["sub"] = subject, ["client_id"] = subject, ["scope"] = "api",
            ["iat"] = now, ["nbf"] = now - 5, ["exp"] = now + 3600, ["jti"] = Guid.NewGuid().ToString("N"),
        };
    }

    /// <summary>An HTTP client for load: many connections to loopback, no proxy.</summary>
    public static HttpClient Client() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>One API call with the token; returns the status.</summary>
    public static async Task<HttpStatusCode> CallAsync(HttpClient client, Api api, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, api.BaseUrl + "/api/ping");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>
    /// The handler alone (no Kestrel, no middleware): a fresh request scope and context per call, as each request gets,
    /// through <see cref="IAuthenticationService"/> to the scheme.
    /// </summary>
    public static async Task<bool> AuthenticateAsync(Api api, string token)
    {
        await using var scope = api.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers.Authorization = "Bearer " + token;
        var result = await scope.ServiceProvider.GetRequiredService<IAuthenticationService>().AuthenticateAsync(context, api.Scheme);
        return result.Succeeded;
    }
}
