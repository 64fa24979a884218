using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace OidcRp.Samples.DevOp;

/// <summary>What one development issuer is started with.</summary>
public sealed class DevOpIssuerOptions
{
    /// <summary>A short name ("alpha"); it names the cookies and the keys.</summary>
    public required string Name { get; init; }

    /// <summary>The loopback port; 0 picks a free one.</summary>
    public int Port { get; init; }

    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    public IReadOnlyList<string> RedirectUris { get; init; } = [];

    public IReadOnlyList<string> PostLogoutRedirectUris { get; init; } = [];

    /// <summary>
    /// The API audience (<c>aud</c>) of the JWT access tokens this issuer signs, for the client-credentials grant and
    /// for logins that ask <see cref="ApiScope"/>. Access tokens are signed, not encrypted, with the keys the login uses.
    /// </summary>
    public string ApiAudience { get; init; } = "oidcrp-api";

    /// <summary>The scope that puts <see cref="ApiAudience"/> into an access token.</summary>
    public string ApiScope { get; init; } = "api";

    /// <summary>Where the OP logs; nothing by default.</summary>
    public ILoggerProvider? LoggerProvider { get; init; }
}

/// <summary>Requests the OP has seen, counted at its door.</summary>
public sealed record DevOpCounts(int Discovery, int Jwks, int Token, int Authorization);

/// <summary>
/// One issuer of the development OP: OpenIddict's server on Kestrel at 127.0.0.1, with the code flow and
/// PKCE, one confidential client, the <see cref="DevOpUsers"/>, a plain login page, RP-initiated logout,
/// and run-time key rotation (<see cref="Keys"/>). For development and tests only: HTTP on loopback,
/// in-memory stores, ephemeral keys.
/// </summary>
public sealed class DevOpServer : IAsyncDisposable
{
    private const string CookieScheme = "devop";
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private WebApplication? _app;

    private DevOpServer(DevOpIssuerOptions options)
    {
        Options = options;
        Keys = new DevOpKeys(options.Name);
    }

    public DevOpIssuerOptions Options { get; }

    public DevOpKeys Keys { get; }

    /// <summary>The issuer, e.g. <c>http://127.0.0.1:5101/</c> (OpenIddict writes it with a trailing slash).</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>While true the JWKS endpoint answers 503.</summary>
    public bool JwksDown { get; set; }

    public DevOpCounts Counts => new(Count("discovery"), Count("jwks"), Count("token"), Count("authorization"));

    public static async Task<DevOpServer> StartAsync(DevOpIssuerOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.Name);
        var server = new DevOpServer(options);
        await server.StartCoreAsync();
        return server;
    }

    /// <summary>Rotates the signing key; OpenIddict's options are rebuilt so the next token uses the new order.</summary>
    public DevOpKeyState Rotate(DevOpRotation mode) => Keys.Rotate(mode);

    private int Count(string kind) => _counts.GetValueOrDefault(kind);

    private async Task StartCoreAsync()
    {
        var options = Options;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        builder.Logging.ClearProviders();
        if (options.LoggerProvider is not null)
        {
            builder.Logging.AddProvider(options.LoggerProvider);
        }
        var services = builder.Services;
        services.AddSingleton(options);
        var database = $"devop-{options.Name}-{Guid.NewGuid():N}"; // one store per issuer, for its lifetime
        services.AddDbContext<DbContext>(db => db.UseInMemoryDatabase(database).UseOpenIddict());
        services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, cookie =>
        {
            // Issuers share a host (127.0.0.1) with each other and with the RP, and cookies ignore ports.
            cookie.Cookie.Name = $"devop.{options.Name}";
            cookie.LoginPath = "/account/login";
        });
        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<DbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetUserInfoEndpointUris("connect/userinfo");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.AllowClientCredentialsFlow();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, options.ApiScope);
                DevOpApi.HandleClientCredentials(server, options);
                server.AddEphemeralEncryptionKey();
                server.DisableAccessTokenEncryption();
                server.AddEventHandler<OpenIddictServerEvents.HandleJsonWebKeySetRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        // Only the published keys; the others still sign or verify the OP's own codes.
                        context.Keys.RemoveAll(key => !Keys.IsPublished(key.Kid));
                        return default;
                    })
                    .SetOrder(OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor.Order + 1));
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .DisableTransportSecurityRequirement(); // HTTP on loopback, development only
            });
        // The signing keys come from Keys on every (re)build of the options.
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>>(new ConfigureNamedOptions<OpenIddictServerOptions>(
            Microsoft.Extensions.Options.Options.DefaultName,
            server => server.SigningCredentials.AddRange(
                Keys.SigningOrder.Select(key => new SigningCredentials(key, SecurityAlgorithms.RsaSha256)))));

        var app = builder.Build();
        Keys.Changed += () => app.Services.GetRequiredService<IOptionsMonitorCache<OpenIddictServerOptions>>().TryRemove(Microsoft.Extensions.Options.Options.DefaultName);
        app.Use(CountAndGateAsync);
        app.UseAuthentication();
        MapEndpoints(app);
        await app.StartAsync();
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Issuer = new Uri(address).GetLeftPart(UriPartial.Authority) + "/";
        await SeedClientAsync(app.Services);
    }

    private async Task CountAndGateAsync(HttpContext context, Func<Task> next)
    {
        var kind = context.Request.Path.Value switch
        {
            "/.well-known/openid-configuration" => "discovery",
            "/.well-known/jwks" => "jwks",
            "/connect/token" => "token",
            "/connect/authorize" => "authorization",
            _ => null,
        };
        if (kind is not null)
        {
            _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }
        if (kind == "jwks" && JwksDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        await next();
    }

    /// <summary>Replaces the client's secret (a rotation at the OP): the old one stops working at once.</summary>
    public async Task ChangeClientSecretAsync(string secret)
    {
        await using var scope = _app!.Services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var client = await manager.FindByClientIdAsync(Options.ClientId)
            ?? throw new InvalidOperationException($"No client {Options.ClientId}.");
        await manager.UpdateAsync(client, secret);
    }

    private async Task SeedClientAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var manager = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var client = new OpenIddictApplicationDescriptor
        {
            ClientId = Options.ClientId,
            ClientSecret = Options.ClientSecret,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = $"OidcRp ({Options.Name})",
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Email,
                Permissions.Scopes.Roles,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.Prefixes.Scope + Options.ApiScope,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in Options.RedirectUris)
        {
            client.RedirectUris.Add(new Uri(uri));
        }
        foreach (var uri in Options.PostLogoutRedirectUris)
        {
            client.PostLogoutRedirectUris.Add(new Uri(uri));
        }
        await manager.CreateAsync(client);
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync);
        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieScheme);
            // OpenIddict validated post_logout_redirect_uri against the client; it redirects there.
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        });
        app.MapGet("/account/login", (string? returnUrl, HttpContext context) => LoginPage(returnUrl, error: null));
        app.MapPost("/account/login", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            var returnUrl = form["returnUrl"].ToString();
            var user = DevOpUsers.Find(form["username"], form["password"]);
            if (user is null)
            {
                return LoginPage(returnUrl, "Wrong user name or password.");
            }
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Username)], CookieScheme);
            await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
            // Only back into this OP's own authorization endpoint.
            return Results.Redirect(returnUrl.StartsWith("/connect/authorize", StringComparison.Ordinal) ? returnUrl : "/");
        });
        app.MapGet("/", () => Results.Content(Page("Development OP", "<p>This is OidcRp's development OpenID Provider.</p>"), "text/html"));
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var session = await context.AuthenticateAsync(CookieScheme);
        var user = session.Succeeded ? DevOpUsers.Get(session.Principal?.Identity?.Name) : null;
        if (user is null || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Results.Forbid(
                    new AuthenticationProperties(new Dictionary<string, string?> { [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.LoginRequired }),
                    [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
            }
            // Back to this endpoint after the login page, without prompt (prompt=login would ask again, forever).
            var parameters = (context.Request.HasFormContentType ? context.Request.Form.ToList() : context.Request.Query.ToList())
                .Where(p => p.Key != Parameters.Prompt).ToList();
            return Results.Challenge(
                new AuthenticationProperties { RedirectUri = context.Request.PathBase + context.Request.Path + QueryString.Create(parameters) },
                [CookieScheme]);
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Username)
            .SetClaim(Claims.Name, user.Name)
            .SetClaim(Claims.PreferredUsername, user.Username)
            .SetClaim(Claims.Email, user.Email)
            .SetClaim(Claims.EmailVerified, true)
            .SetClaims(Claims.Role, [.. user.Roles]);
        identity.SetScopes(request.GetScopes());
        if (identity.HasScope(context.RequestServices.GetRequiredService<DevOpIssuerOptions>().ApiScope))
        {
            identity.SetResources(context.RequestServices.GetRequiredService<DevOpIssuerOptions>().ApiAudience);
        }
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Name or Claims.PreferredUsername when identity.HasScope(Scopes.Profile) => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Email or Claims.EmailVerified when identity.HasScope(Scopes.Email) => [Destinations.AccessToken, Destinations.IdentityToken],
            Claims.Role when identity.HasScope(Scopes.Roles) => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [Destinations.AccessToken],
        });
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult LoginPage(string? returnUrl, string? error) => Results.Content(Page("Sign in", $"""
        <h1>Sign in to the development OP</h1>
        {(error is null ? "" : $"<p class=\"error\">{WebUtility.HtmlEncode(error)}</p>")}
        <form id="login" method="post" action="/account/login">
          <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(returnUrl ?? "/")}"/>
          <label>User name <input type="text" name="username" autocomplete="username"/></label>
          <label>Password <input type="password" name="password" autocomplete="current-password"/></label>
          <button type="submit" id="sign-in">Sign in</button>
        </form>
        <p>Test users: {string.Join(", ", DevOpUsers.All.Select(u => $"<code>{u.Username}</code> / <code>{u.Password}</code>"))}</p>
        """), "text/html", statusCode: error is null ? 200 : 401);

    private static string Page(string title, string body) =>
        $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title></head><body>{body}</body></html>";

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
