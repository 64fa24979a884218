using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OidcRp.Audit.Sql;
using OidcRp.Providers.Sql;

namespace OidcRp.Samples.MvcApp;

/// <summary>Who may open the admin area: listed users (<c>{provider}:{sub}</c>) or holders of a role claim.</summary>
public sealed class SampleAdminOptions
{
    public List<string> Users { get; } = [];

    public string RoleClaimType { get; set; } = "role";

    public string? Role { get; set; } = "admin";

    public bool Allows(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
        && (Users.Contains(user.GetOidcAuditActor(), StringComparer.Ordinal)
            || (!string.IsNullOrEmpty(Role) && user.HasClaim(RoleClaimType, Role)));
}

/// <summary>The sample's composition: cookies, OidcRp from configuration, MVC, the admin policy.</summary>
public static class SampleApp
{
    public const string AdminPolicy = "SampleAdmin";

    /// <summary>
    /// Builds the app. With no provider under <c>OidcRp:Providers</c> it starts the embedded development
    /// OP (Development environment only) and signs in against its two issuers.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json and the compiled views travel with the build output, so the app runs from any directory.
            ContentRootPath = AppContext.BaseDirectory,
            // MVC finds controllers and views through the application name, also when a test hosts the app.
            ApplicationName = typeof(SampleApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        EmbeddedDevOp? devOp = null;
        if (!builder.Configuration.GetSection("OidcRp:Providers").GetChildren().Any())
        {
            if (!builder.Environment.IsDevelopment())
            {
                throw new InvalidOperationException(
                    "No OpenID providers are configured under OidcRp:Providers. The embedded development OP only runs in the " +
                    "Development environment; configure providers in appsettings.json or environment variables " +
                    "(OidcRp__Providers__{id}__Authority, __ClientId, __ClientSecret).");
            }
            var appBase = AppBaseUrl(builder);
            devOp = await EmbeddedDevOp.StartAsync(appBase, builder.Configuration.GetSection("Sample:DevOp"));
            builder.Configuration.AddInMemoryCollection(devOp.ProviderSettings());
            builder.Services.AddSingleton(devOp);
        }

        builder.Services.AddControllersWithViews();
        builder.Services.AddRouting(routing => routing.LowercaseUrls = true);
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "mvcapp.session";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                // Secure always outside development (the sample's own dev OP runs on plain http loopback).
                cookie.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                cookie.LoginPath = "/";
                cookie.AccessDeniedPath = "/home/denied";
            })
            .AddMultiOidc(builder.Configuration.GetSection("OidcRp"), options =>
            {
                var development = (devOp is not null || builder.Configuration["Sample:Farm:Redis"] is not null) && builder.Environment.IsDevelopment();
                // The user's access token kept in the session cookie, for calls to the API (Sample:Api:SaveTokens).
                var saveTokens = builder.Configuration.GetValue("Sample:Api:SaveTokens", false);
                options.ConfigureHandler = (_, handler) =>
                {
                    handler.SaveTokens = saveTokens;
                    if (development)
                    {
                        // Plain HTTP on loopback in development: the handler's correlation and nonce cookies
                        // are Secure by default, which a browser may refuse over http.
                        handler.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                        handler.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                        handler.CorrelationCookie.SameSite = SameSiteMode.Lax;
                        handler.NonceCookie.SameSite = SameSiteMode.Lax;
                    }
                };
            })
            .AddSampleApiBearer(builder.Configuration);
        builder.Services.AddHttpClient();
        AddAuditStore(builder);
        AddProviderStore(builder);
        SampleFarm.Add(builder); // Sample:Farm:Redis set: a farm instance (samples/farm.sh)
        SampleTelemetry.Add(builder); // /healthz; OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set
        builder.Services.Configure<SampleAdminOptions>(builder.Configuration.GetSection("Sample:Admin"));
        builder.Services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, policy => policy.RequireAssertion(context =>
            context.Resource is HttpContext http
                ? http.RequestServices.GetRequiredService<IOptions<SampleAdminOptions>>().Value.Allows(context.User)
                : false));
        builder.Services.AddAuthorizationBuilder().AddPolicy(SampleApi.Policy, policy => policy
            .AddAuthenticationSchemes(SampleApi.Scheme)
            .RequireAuthenticatedUser());

        var app = builder.Build();
        if (devOp is not null)
        {
            app.Lifetime.ApplicationStopped.Register(() => devOp.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }
        SampleFarm.Use(app);
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/home/error");
            app.UseHsts();
        }
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOidcRp();
        app.MapOidcAdmin().RequireAuthorization(AdminPolicy);
        SampleApi.Map(app);
        SampleTelemetry.Map(app);
        app.MapControllerRoute("default", "{controller=Home}/{action=Index}/{id?}");
        return app;
    }

    /// <summary>Prints where the app listens and, with the embedded OP, its issuers and test users.</summary>
    public static void PrintBanner(WebApplication app, TextWriter output)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        output.WriteLine($"OidcRp sample: open {addresses.FirstOrDefault()} in a browser.");
        if (app.Services.GetService<EmbeddedDevOp>() is { } devOp)
        {
            foreach (var (name, issuer) in devOp.Issuers)
            {
                output.WriteLine($"  development OP '{name}': {issuer.Issuer}");
            }
            output.WriteLine("  test users: " + string.Join(", ", Samples.DevOp.DevOpUsers.All.Select(u => $"{u.Username} / {u.Password}"))
                + " (admin opens the admin page)");
            var alpha = devOp.Issuers["alpha"];
            output.WriteLine($"  the API with a client-credentials token from alpha:");
            output.WriteLine($"    TOKEN=$(curl -s -u {alpha.Options.ClientId}:{alpha.Options.ClientSecret} -d grant_type=client_credentials -d scope={alpha.Options.ApiScope} {alpha.Issuer}connect/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')");
            output.WriteLine($"    curl -i -H \"Authorization: Bearer $TOKEN\" {addresses.FirstOrDefault()}{SampleApi.Path}");
        }
    }

    /// <summary>
    /// The durable audit store: <c>Sample:Audit:Store</c> is <c>sqlite</c> (the default, a file beside the
    /// app), <c>postgresql</c> or <c>memory</c> (OidcRp's logging sink), with the connection string
    /// <c>ConnectionStrings:OidcRpAudit</c>.
    /// </summary>
    private static void AddAuditStore(WebApplicationBuilder builder)
    {
        var store = builder.Configuration["Sample:Audit:Store"] ?? "sqlite";
        var connectionString = builder.Configuration.GetConnectionString("OidcRpAudit");
        var maxAge = builder.Configuration.GetValue<TimeSpan?>("Sample:Audit:MaxAge");
        switch (store.ToLowerInvariant())
        {
            case "memory":
                return;
            case "sqlite":
                var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString ?? "Data Source=oidcrp-audit.db");
                if (sqlite.DataSource is ":memory:" or "" || sqlite.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory)
                {
                    throw new InvalidOperationException("The SQLite audit store needs a file: an in-memory database lives per connection. Use Sample:Audit:Store=memory instead.");
                }
                if (!Path.IsPathRooted(sqlite.DataSource))
                {
                    sqlite.DataSource = Path.Combine(builder.Environment.ContentRootPath, sqlite.DataSource);
                }
                builder.Services.AddOidcRpAuditStore(SqlAuditDialect.Sqlite,
                    _ => Microsoft.Data.Sqlite.SqliteFactory.Instance.CreateDataSource(sqlite.ConnectionString), o => o.MaxAge = maxAge);
                return;
            case "postgresql":
                if (string.IsNullOrEmpty(connectionString))
                {
                    throw new InvalidOperationException("Sample:Audit:Store is postgresql but ConnectionStrings:OidcRpAudit is empty.");
                }
                builder.Services.AddOidcRpAuditStore(SqlAuditDialect.PostgreSql, _ => Npgsql.NpgsqlDataSource.Create(connectionString), o => o.MaxAge = maxAge);
                return;
            default:
                throw new InvalidOperationException($"Sample:Audit:Store must be sqlite, postgresql or memory, not '{store}'.");
        }
    }

    /// <summary>
    /// In Development only: providers added on the admin page live in the ready SQLite provider store
    /// (<c>ConnectionStrings:OidcRpProviders</c>, a file beside the app), beside those of configuration.
    /// </summary>
    private static void AddProviderStore(WebApplicationBuilder builder)
    {
        if (!builder.Environment.IsDevelopment())
        {
            return;
        }
        var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(
            builder.Configuration.GetConnectionString("OidcRpProviders") ?? "Data Source=oidcrp-providers.db");
        if (!Path.IsPathRooted(sqlite.DataSource))
        {
            sqlite.DataSource = Path.Combine(builder.Environment.ContentRootPath, sqlite.DataSource);
        }
        builder.Services.AddOidcRpSqlProviderStore(SqlProviderStoreDialect.Sqlite,
            _ => Microsoft.Data.Sqlite.SqliteFactory.Instance.CreateDataSource(sqlite.ConnectionString));
    }

    /// <summary>The app's own URL, which the development OP registers as the redirect target; port 0 is resolved first.</summary>
    private static Uri AppBaseUrl(WebApplicationBuilder builder)
    {
        // ASPNETCORE_URLS, --urls or launchSettings.json's applicationUrl; the first one is the app's.
        var configured = builder.Configuration["urls"]?
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        var url = new UriBuilder(configured ?? "http://127.0.0.1:5080");
        if (url.Host is "*" or "+" or "0.0.0.0" or "[::]")
        {
            url.Host = "127.0.0.1";
        }
        if (url.Port == 0)
        {
            url.Port = EmbeddedDevOp.FreePort();
        }
        builder.WebHost.UseUrls(url.Uri.GetLeftPart(UriPartial.Authority));
        return new Uri(url.Uri.GetLeftPart(UriPartial.Authority));
    }
}
