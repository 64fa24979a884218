using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>OidcRp's side of the bearer benchmark: the provider in the registry and <c>AddOidcRpBearer</c> on it, defaults kept.</summary>
internal static class BearerOidcRpSide
{
    /// <summary>Registers OidcRp's bearer scheme for the API; returns the scheme name.</summary>
    public static string Configure(WebApplicationBuilder builder, TestOp op)
    {
        builder.Services.AddAuthentication(OidcRpBearerDefaults.AuthenticationScheme)
            .AddMultiOidc(o => o.Providers["bench"] = new OidcProviderOptions
            {
                Authority = op.Issuer,
                ClientId = op.ClientId,
                ClientSecret = TestOp.ClientSecret,
                RequireHttpsMetadata = false,
            })
            .AddOidcRpBearer(o => o.Audiences.Add(BearerApps.Audience));
        return OidcRpBearerDefaults.AuthenticationScheme;
    }
}
