using Microsoft.AspNetCore.Authentication;

namespace OidcRp.Samples.Gateway;

/// <summary>OidcRp's bearer scheme in front of the proxied routes: the providers from <c>OidcRp</c>, the bearer rules from <c>OidcRp:Bearer</c>.</summary>
public static class GatewayBearer
{
    public const string Scheme = OidcRpBearerDefaults.AuthenticationScheme;

    /// <summary>
    /// The providers are registered as for a login (<c>AddMultiOidc</c>), which only loads their discovery document and
    /// JWKS here: the gateway maps no login endpoint. Audiences, scopes and token types come from <c>OidcRp:Bearer</c>.
    /// </summary>
    public static AuthenticationBuilder AddOidcRpGatewayBearer(this AuthenticationBuilder builder, IConfiguration configuration) =>
        builder.AddMultiOidc(configuration.GetSection("OidcRp"))
            .AddOidcRpBearer(configuration.GetSection(OidcRpBearerDefaults.ConfigurationSection));
}
