using System.Security.Claims;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OidcRp.Samples.DevOp;
using Yarp.ReverseProxy.Transforms;

namespace OidcRp.Samples.Gateway;

/// <summary>
/// The gateway: YARP routes from configuration (<c>ReverseProxy</c>), each protected by the <see cref="ApiPolicy"/>
/// authorization policy, which OidcRp's bearer scheme satisfies. A request without a valid access token is answered by
/// the gateway (401/403, RFC 6750) and never reaches the backend; a valid one is proxied with the caller's provider
/// and subject in <c>X-Gateway-*</c> headers (any such header the client sent is dropped first).
/// </summary>
public sealed class GatewayApp : IAsyncDisposable
{
    public const string ApiPolicy = "api";
    public const string ProviderHeader = "X-Gateway-Provider";
    public const string SubjectHeader = "X-Gateway-Subject";

    private GatewayApp(WebApplication app, Backend? backend, DevOpServer? devOp)
    {
        App = app;
        Backend = backend;
        DevOp = devOp;
    }

    public WebApplication App { get; }

    /// <summary>The embedded backend (<c>Gateway:Backend:Embedded</c>), or null when the cluster points elsewhere.</summary>
    public Backend? Backend { get; }

    /// <summary>The development OP, started in Development when no provider is configured.</summary>
    public DevOpServer? DevOp { get; }

    public string Url => App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    /// <summary>Builds and starts the gateway (and its embedded backend and development OP when configured so).</summary>
    public static async Task<GatewayApp> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(GatewayApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);
        var settings = builder.Configuration.GetSection("Gateway");

        Backend? backend = null;
        if (settings.GetValue("Backend:Embedded", true))
        {
            backend = await Backend.StartAsync(settings.GetValue("Backend:Port", 0));
            builder.Configuration.AddInMemoryCollection([new("ReverseProxy:Clusters:backend:Destinations:backend:Address", backend.Url + "/")]);
        }
        DevOpServer? devOp = null;
        if (!builder.Configuration.GetSection("OidcRp:Providers").GetChildren().Any())
        {
            if (!builder.Environment.IsDevelopment())
            {
                throw new InvalidOperationException(
                    "No OpenID providers are configured under OidcRp:Providers. The embedded development OP only runs in the " +
                    "Development environment; configure providers (OidcRp__Providers__{id}__Authority, __ClientId).");
            }
            devOp = await StartDevOpAsync(settings.GetValue("DevOp:Port", 0));
            builder.Configuration.AddInMemoryCollection(DevOpSettings(devOp));
        }

        builder.Services.AddAuthentication(GatewayBearer.Scheme).AddOidcRpGatewayBearer(builder.Configuration);
        builder.Services.AddAuthorizationBuilder().AddPolicy(ApiPolicy, policy => policy
            .AddAuthenticationSchemes(GatewayBearer.Scheme)
            .RequireAuthenticatedUser());
        GatewayTelemetry.Add(builder); // /healthz; OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddTransforms(transforms => transforms.AddRequestTransform(context =>
            {
                // The backend trusts these headers: only the gateway sets them.
                var headers = context.ProxyRequest.Headers;
                headers.Remove(ProviderHeader);
                headers.Remove(SubjectHeader);
                var user = context.HttpContext.User;
                if (user.Identity?.IsAuthenticated == true)
                {
                    headers.TryAddWithoutValidation(ProviderHeader, user.GetOidcProvider() ?? "");
                    headers.TryAddWithoutValidation(SubjectHeader, user.FindFirstValue("sub") ?? "");
                }
                return ValueTask.CompletedTask;
            }));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        GatewayTelemetry.Map(app);
        app.MapReverseProxy();
        var gateway = new GatewayApp(app, backend, devOp);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    private static Task<DevOpServer> StartDevOpAsync(int port) => DevOpServer.StartAsync(new DevOpIssuerOptions
    {
        Name = "dev",
        Port = port,
        ClientId = "gateway-caller",
        // A fresh secret per run: printed for curl, known to nothing else.
        ClientSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)),
        ApiAudience = "orders-api",
        ApiScope = "orders",
    });

    /// <summary>The development OP as configuration, the same keys an appsettings.json would hold.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> DevOpSettings(DevOpServer devOp) => new Dictionary<string, string?>
    {
        ["OidcRp:Providers:dev:DisplayName"] = "Development OP",
        ["OidcRp:Providers:dev:Authority"] = devOp.Issuer,
        ["OidcRp:Providers:dev:ClientId"] = devOp.Options.ClientId,
        ["OidcRp:Providers:dev:ClientSecret"] = devOp.Options.ClientSecret,
        ["OidcRp:Providers:dev:RequireHttpsMetadata"] = "false", // plain HTTP on loopback, development only
    };

    /// <summary>Where the gateway listens and, with the development OP, how to get a token and call through it.</summary>
    public static void PrintBanner(GatewayApp gateway, TextWriter output)
    {
        output.WriteLine($"OidcRp gateway sample: {gateway.Url} proxies /orders/** to {gateway.Backend?.Url ?? "the configured backend"} for valid bearer tokens.");
        if (gateway.DevOp is { } op)
        {
            output.WriteLine($"  development OP: {op.Issuer}");
            output.WriteLine($"  token endpoint: {op.Issuer}connect/token client: {op.Options.ClientId} secret: {op.Options.ClientSecret} scope: {op.Options.ApiScope}");
            output.WriteLine("  get a token (client credentials) and call through the gateway:");
            output.WriteLine($"    TOKEN=$(curl -s -u {op.Options.ClientId}:{op.Options.ClientSecret} -d grant_type=client_credentials -d scope={op.Options.ApiScope} {op.Issuer}connect/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')");
            output.WriteLine($"    curl -i -H \"Authorization: Bearer $TOKEN\" {gateway.Url}/orders/42");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        if (Backend is not null)
        {
            await Backend.DisposeAsync();
        }
        if (DevOp is not null)
        {
            await DevOp.DisposeAsync();
        }
    }
}
