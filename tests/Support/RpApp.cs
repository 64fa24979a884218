using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OidcRp.Audit;

namespace OidcRp.Tests.Support;

/// <summary>A provider as the RP app registers it.</summary>
public sealed record RpProvider(string Id, string Authority, string ClientId, string ClientSecret);

/// <summary>
/// A relying-party app on Kestrel at 127.0.0.1 using only OidcRp's public API: cookie sign-in, the login
/// and admin endpoints (admin policy: subject or preferred username "admin", as Keycloak's subjects are
/// UUIDs), and <c>/whoami</c>.
/// </summary>
public sealed partial class RpApp : IAsyncDisposable
{
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public RecordingAuditSink Audit { get; } = new();

    public FakeLogCollector Logs { get; } = new();

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public IServiceProvider Services => _app!.Services;

    public static async Task<RpApp> StartAsync(IEnumerable<RpProvider> providers, Action<OidcRpOptions>? configure = null,
        bool protectAdmin = true, Action<IServiceCollection>? services = null, int port = 0,
        Action<Microsoft.AspNetCore.Authentication.AuthenticationBuilder>? authentication = null, Action<OidcRpBearerOptions>? bearer = null,
        Action<WebApplication>? map = null)
    {
        var rp = new RpApp();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders().AddProvider(new FakeLoggerProvider(rp.Logs)).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(rp.Time);
        builder.Services.AddSingleton<IOidcAuditSink>(rp.Audit);
        services?.Invoke(builder.Services);
        var oidc = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
                o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
            })
            .AddMultiOidc(o =>
            {
                foreach (var provider in providers)
                {
                    o.Providers[provider.Id] = new OidcProviderOptions
                    {
                        Authority = provider.Authority,
                        ClientId = provider.ClientId,
                        ClientSecret = provider.ClientSecret,
                        RequireHttpsMetadata = false,
                    };
                }
                // Each app its own revocation file (not the shared content root); a restart test passes the same one twice.
                o.Keys.RevocationFile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"oidcrp-test-revoked-{Guid.NewGuid():N}.json");
                configure?.Invoke(o);
            });
        authentication?.Invoke(oidc);
        if (bearer is not null)
        {
            oidc.AddOidcRpBearer(bearer);
        }
        builder.Services.AddAuthorization(o =>
        {
            o.AddPolicy("OidcAdmin", p => p.RequireAssertion(c =>
                c.User.HasClaim("sub", "admin") || c.User.HasClaim("preferred_username", "admin")));
            AddApiPolicies(o);
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOidcRp();
        var admin = app.MapOidcAdmin();
        if (protectAdmin)
        {
            admin.RequireAuthorization("OidcAdmin");
        }
        app.MapGet("/whoami", (ClaimsPrincipal user) => Results.Ok(new
        {
            provider = user.GetOidcProvider(),
            actor = user.GetOidcAuditActor(),
            sub = user.FindFirst("sub")?.Value,
            iss = user.FindFirst("sub")?.Issuer,
            username = user.FindFirst("preferred_username")?.Value,
            name = user.FindFirst("name")?.Value,
        })).RequireAuthorization();
        if (bearer is not null)
        {
            MapApi(app);
        }
        app.MapGet("/antiforgery", (HttpContext context) =>
            context.RequestServices.GetService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>()?.GetAndStoreTokens(context) is { } tokens
                ? Results.Ok(new { field = tokens.FormFieldName, token = tokens.RequestToken })
                : Results.NotFound());
        map?.Invoke(app); // a test's own endpoints (an API behind the bearer scheme)
        await app.StartAsync();
        rp._app = app;
        rp.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return rp;
    }

    /// <summary>Writes the rows of every open aggregation window now (as a closing window or host stop would).</summary>
    public Task FlushAuditAsync() => Services.GetRequiredService<OidcRp.Audit.AuditWriter>().FlushAllAsync(close: false);

    /// <summary>Stops the host (hosted services' stop runs: the audit aggregation writes its open windows).</summary>
    public Task StopAsync() => _app!.StopAsync();

    public BrowserClient Browser(string username = "alice", string? password = null) =>
        new(BaseUrl) { Username = username, Password = password ?? username + "-password" };

    /// <summary>A free loopback port, for OPs that must know the RP's redirect URI before it starts (see <see cref="LoopbackPorts"/>).</summary>
    public static int FreePort() => LoopbackPorts.Next();

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
