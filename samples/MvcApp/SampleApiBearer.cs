using Microsoft.AspNetCore.Authentication;

namespace OidcRp.Samples.MvcApp;

/// <summary>OidcRp's bearer scheme for the sample's API, bound from <c>OidcRp:Bearer</c>.</summary>
public static class SampleApiBearer
{
    /// <summary>
    /// Adds the <c>Bearer</c> scheme on the providers <c>AddMultiOidc</c> registered. With the embedded development OP and
    /// no audience configured, the API accepts the development OP's API audience.
    /// </summary>
    public static AuthenticationBuilder AddSampleApiBearer(this AuthenticationBuilder builder, IConfiguration configuration) =>
        builder.AddOidcRpBearer(configuration.GetSection(OidcRpBearerDefaults.ConfigurationSection));
}
