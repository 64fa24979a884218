using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OidcRp.Docs.Snippets;

/// <summary>docs/bearer.md: an API beside the login, on the same registry.</summary>
public static class BearerSnippets
{
    /// <summary>Adds the bearer scheme and a scope-requiring policy, and maps one protected endpoint.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        #region bearer
        builder.Services.AddAuthentication(o => o.DefaultScheme = "Cookies")
            .AddCookie("Cookies")
            .AddMultiOidc(builder.Configuration.GetSection("OidcRp"))
            .AddOidcRpBearer(builder.Configuration.GetSection("OidcRp:Bearer"));   // scheme "Bearer"
        builder.Services.AddAuthorization(o => o.AddPolicy("orders.write", p => p
            .AddAuthenticationSchemes("Bearer").RequireAuthenticatedUser().RequireOidcRpScope("orders.write")));

        var app = builder.Build();
        app.MapPost("/api/orders", () => Results.Created($"/api/orders/{Guid.NewGuid()}", null))
            .RequireAuthorization("orders.write");
        #endregion
        return app;
    }
}
