using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>A relying party under test, on Kestrel at 127.0.0.1.</summary>
internal sealed class BenchRp(WebApplication app, string kind) : IAsyncDisposable
{
    public string BaseUrl { get; } = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');

    public string Kind { get; } = kind;

    public IServiceProvider Services => app.Services;

    public ValueTask DisposeAsync() => app.DisposeAsync();
}

/// <summary>
/// The two relying parties every comparison runs side by side, built the same way (slim builder, no log
/// provider, cookie sign-in, the same login route): OidcRp with its defaults (in-memory audit sink), and
/// the stock <c>AddOpenIdConnect</c> with its defaults plus what the OP needs (code flow, client secret).
/// Providers are <c>p0</c>, <c>p1</c>…; each login starts at <c>/auth/oidc/{id}/login</c>.
/// </summary>
internal static class BenchApps
{
    public const string Cookies = CookieAuthenticationDefaults.AuthenticationScheme;

    public static async Task<BenchRp> StartOidcRpAsync(IReadOnlyList<RpProvider> providers, Action<OidcRpOptions>? configure = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Builder();
        services?.Invoke(builder.Services);
        builder.Services.AddAuthentication(Cookies).AddCookie(Cookies).AddMultiOidc(o =>
        {
            foreach (var p in providers)
            {
                o.Providers[p.Id] = new OidcProviderOptions { Authority = p.Authority, ClientId = p.ClientId, ClientSecret = p.ClientSecret, RequireHttpsMetadata = false };
            }
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.MapOidcRp();
        MapCommon(app);
        await app.StartAsync();
        return new BenchRp(app, "OidcRp");
    }

    public static async Task<BenchRp> StartStockAsync(IReadOnlyList<RpProvider> providers, Action<OpenIdConnectOptions>? configure = null)
    {
        var builder = Builder();
        var authentication = builder.Services.AddAuthentication(Cookies).AddCookie(Cookies);
        foreach (var p in providers)
        {
            authentication.AddOpenIdConnect("oidc:" + p.Id, o =>
            {
                o.Authority = p.Authority;
                o.RequireHttpsMetadata = false;
                o.ClientId = p.ClientId;
                o.ClientSecret = p.ClientSecret;
                o.ResponseType = "code";
                o.CallbackPath = $"/auth/oidc/{p.Id}/callback";
                o.SignedOutCallbackPath = $"/auth/oidc/{p.Id}/signout-callback";
                configure?.Invoke(o);
            });
        }
        var app = builder.Build();
        app.UseAuthentication();
        app.MapGet("/auth/oidc/{id}/login", (string id, string? returnUrl) =>
            Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl ?? "/" }, ["oidc:" + id]));
        MapCommon(app);
        await app.StartAsync();
        return new BenchRp(app, "stock");
    }

    private static WebApplicationBuilder Builder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        return builder;
    }

    private static void MapCommon(WebApplication app) => app.MapGet("/ping", () => "pong");
}

/// <summary>One login as a fresh browser: whole-flow and callback-only times, and whether it signed in.</summary>
internal readonly record struct LoginTiming(double TotalMs, double CallbackMs, bool SignedIn);

/// <summary>Drives logins: each a fresh browser-like client doing the whole code flow.</summary>
internal static class Logins
{
    public static async Task<LoginTiming> OneAsync(string rpBase, string providerId = "p0")
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var browser = new BrowserClient(rpBase);
        var pending = await browser.BeginLoginAsync(providerId);
        var callback = System.Diagnostics.Stopwatch.GetTimestamp();
        using var response = await browser.FinishLoginAsync(pending);
        var end = System.Diagnostics.Stopwatch.GetTimestamp();
        return new LoginTiming(
            System.Diagnostics.Stopwatch.GetElapsedTime(started, end).TotalMilliseconds,
            System.Diagnostics.Stopwatch.GetElapsedTime(callback, end).TotalMilliseconds,
            SignedIn(response));
    }

    /// <summary>A sign-in answers the callback with a redirect to the return URL and sets the session cookie.</summary>
    public static bool SignedIn(HttpResponseMessage response) =>
        response.StatusCode == System.Net.HttpStatusCode.Found
        && response.Headers.TryGetValues("Set-Cookie", out var cookies)
        && cookies.Any(c => c.StartsWith(".AspNetCore." + BenchApps.Cookies + "=", StringComparison.Ordinal));

    /// <summary><paramref name="count"/> logins by <paramref name="concurrency"/> workers.</summary>
    public static async Task<List<LoginTiming>> ManyAsync(string rpBase, int count, int concurrency, string providerId = "p0")
    {
        var results = new List<LoginTiming>(count);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var timing = await OneAsync(rpBase, providerId);
                lock (results)
                {
                    results.Add(timing);
                }
            }
        })));
        return results;
    }
}
