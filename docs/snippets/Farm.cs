using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.StackExchangeRedis;

namespace OidcRp.Docs.Snippets;

/// <summary>docs/farm.md: several instances as one relying party.</summary>
public static class FarmSnippets
{
    /// <summary>Shares OidcRp's state through Redis and the Data Protection key ring between instances.</summary>
    public static void Configure(WebApplicationBuilder builder)
    {
        #region farm
        builder.Services.AddAuthentication("Cookies").AddCookie("Cookies")
            .AddMultiOidc(builder.Configuration.GetSection("OidcRp"))
            .AddOidcRpRedis(o =>
            {
                o.Configuration = "redis.internal:6380,ssl=true,user=oidcrp-shop,password=…";   // TLS and an ACL user
                o.KeyPrefix = "oidcrp-shop:";                   // one per app
                o.SharedKey = builder.Configuration["OidcRp:Redis:SharedKey"];   // base64, ≥ 32 bytes, same on every instance
            });
        // The app's part: one Data Protection key ring for all instances (state, correlation, nonce and session cookies),
        // for example in Redis with the package Microsoft.AspNetCore.DataProtection.StackExchangeRedis:
        // .PersistKeysToStackExchangeRedis(redis, "shop:dataprotection-keys")
        builder.Services.AddDataProtection().SetApplicationName("shop");
        #endregion
    }
}
