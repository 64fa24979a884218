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

namespace OidcRp.Tests.Unit.Support;

/// <summary>
/// A relying-party app on Kestrel at 127.0.0.1 using only OidcRp's public API: cookie sign-in, the login
/// and admin endpoints (admin policy: subject "admin"), and <c>/whoami</c>.
/// </summary>
internal sealed class RpApp : IAsyncDisposable
{
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public RecordingAuditSink Audit { get; } = new();

    public FakeLogCollector Logs { get; } = new();

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public IServiceProvider Services => _app!.Services;

    public static async Task<RpApp> StartAsync(IReadOnlyDictionary<string, TestOp> providers, Action<OidcRpOptions>? configure = null,
        bool protectAdmin = true, Action<IServiceCollection>? services = null)
    {
        var rp = new RpApp();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(new FakeLoggerProvider(rp.Logs)).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(rp.Time);
        builder.Services.AddSingleton<IOidcAuditSink>(rp.Audit);
        services?.Invoke(builder.Services);
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
                o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
            })
            .AddMultiOidc(o =>
            {
                foreach (var (id, op) in providers)
                {
                    o.Providers[id] = new OidcProviderOptions
                    {
                        Authority = op.Issuer,
                        ClientId = op.ClientId,
                        ClientSecret = TestOp.ClientSecret,
                        RequireHttpsMetadata = false,
                    };
                }
                configure?.Invoke(o);
            });
        builder.Services.AddAuthorization(o => o.AddPolicy("OidcAdmin", p => p.RequireClaim("sub", "admin")));
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
            provider = user.FindFirst(OidcRpClaimTypes.Provider)?.Value,
            sub = user.FindFirst("sub")?.Value,
            iss = user.FindFirst("sub")?.Issuer,
        })).RequireAuthorization();
        await app.StartAsync();
        rp._app = app;
        rp.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return rp;
    }

    public BrowserClient Browser() => new(BaseUrl);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
