using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// A forwarding proxy on 127.0.0.1 in front of an OP that cannot count its own requests (Keycloak,
/// LemonLDAP::NG). Everything (browser and RP) reaches the OP through it, so it counts at the OP's door;
/// it can also make the JWKS answer 503, leave chosen kids out of the JWKS, or keep serving a pinned
/// JWKS. Requests are classified by a function of the path (Keycloak's layout by default).
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection", "Content-Length",
        "Accept-Encoding", // the JWKS rewrite reads the body as JSON
    };

    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly HttpClient _forward = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
    private Func<string, (string Prefix, string Kind)> _classify = KeycloakLayout;
    private WebApplication? _app;

    public Uri? Target { get; set; }

    /// <summary>Path prefixes (one per issuer, e.g. <c>/realms/a</c>) whose JWKS answers 503.</summary>
    public ConcurrentDictionary<string, bool> JwksDown { get; } = new();

    public ConcurrentDictionary<string, bool> HiddenKids { get; } = new();

    /// <summary>Path prefixes whose JWKS is answered with this body instead of the OP's (a key the JWKS never shows).</summary>
    public ConcurrentDictionary<string, string> PinnedJwks { get; } = new();

    /// <summary>Requests of a kind (discovery, jwks, token) under a path prefix (one per issuer).</summary>
    public int Count(string prefix, string kind) => _counts.GetValueOrDefault(prefix + "|" + kind);

    /// <param name="port">The loopback port to listen on.</param>
    /// <param name="classify">Maps a request path to its issuer prefix and kind (discovery, jwks, token, other).</param>
    public static async Task<LoopbackProxy> StartAsync(int port, Func<string, (string Prefix, string Kind)>? classify = null)
    {
        var proxy = new LoopbackProxy { _classify = classify ?? KeycloakLayout };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        proxy._app = builder.Build();
        proxy._app.Run(proxy.ForwardAsync);
        await proxy._app.StartAsync();
        return proxy;
    }

    /// <summary>Keycloak: issuers are <c>/realms/{name}</c>, endpoints under <c>protocol/openid-connect</c>.</summary>
    public static (string Prefix, string Kind) KeycloakLayout(string path) => (Prefix(path), Kind(path));

    private static string Kind(string path) => path switch
    {
        { } p when p.EndsWith("/.well-known/openid-configuration", StringComparison.Ordinal) => "discovery",
        { } p when p.EndsWith("/protocol/openid-connect/certs", StringComparison.Ordinal) => "jwks",
        { } p when p.EndsWith("/protocol/openid-connect/token", StringComparison.Ordinal) => "token",
        _ => "other",
    };

    private static string Prefix(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 ? $"/{segments[0]}/{segments[1]}" : "/";
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var (prefix, kind) = _classify(context.Request.Path.Value ?? "/");
        _counts.AddOrUpdate(prefix + "|" + kind, 1, (_, n) => n + 1);
        if (kind == "jwks" && JwksDown.ContainsKey(prefix))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        if (kind == "jwks" && PinnedJwks.TryGetValue(prefix, out var pinned))
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(pinned);
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Target!, context.Request.Path + context.Request.QueryString));
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }
        if (request.Content is not null && context.Request.ContentLength is { } length)
        {
            request.Content.Headers.ContentLength = length;
        }
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!HopHeaders.Contains(name) && !request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }
        using var response = await _forward.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopHeaders.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }
        if (kind == "jwks" && response.IsSuccessStatusCode && !HiddenKids.IsEmpty)
        {
            var jwks = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var keys = jwks["keys"]!.AsArray();
            foreach (var key in keys.Where(k => HiddenKids.ContainsKey(k!["kid"]!.GetValue<string>())).ToList())
            {
                keys.Remove(key);
            }
            await context.Response.WriteAsync(jwks.ToJsonString(JsonSerializerOptions.Default));
            return;
        }
        await response.Content.CopyToAsync(context.Response.Body);
    }

    public async ValueTask DisposeAsync()
    {
        _forward.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
