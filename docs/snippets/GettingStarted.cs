using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace OidcRp.Docs.Snippets;

/// <summary>docs/getting-started.md: an app of your own.</summary>
public static class GettingStartedSnippets
{
    /// <summary>Registers OidcRp with a cookie sign-in, the login routes and the admin endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        #region getting-started
        builder.Services.AddAuthentication(o => o.DefaultScheme = "Cookies")
            .AddCookie("Cookies")
            .AddMultiOidc(builder.Configuration.GetSection("OidcRp"));   // every provider in configuration
        builder.Services.AddAuthorization(o => o.AddPolicy("OidcAdmin", p => p.RequireRole("admin")));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOidcRp();                                          // /auth/oidc/{id}/login, /auth/oidc/logout
        app.MapOidcAdmin().RequireAuthorization("OidcAdmin");     // status, forced refresh, audit
        #endregion
        return app;
    }
}
