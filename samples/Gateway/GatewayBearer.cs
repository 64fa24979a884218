using Microsoft.AspNetCore.Authentication;

namespace OidcRp.Samples.Gateway;

/// <summary>OidcRp's bearer scheme in front of the proxied routes.</summary>
public static class GatewayBearer
{
    public const string Scheme = "Bearer";

    public static AuthenticationBuilder AddOidcRpGatewayBearer(this AuthenticationBuilder builder, IConfiguration configuration) =>
        throw new NotSupportedException("AddOidcRpBearer is not merged yet");
}
