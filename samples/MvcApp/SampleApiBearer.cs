using Microsoft.AspNetCore.Authentication;

namespace OidcRp.Samples.MvcApp;

/// <summary>OidcRp's bearer scheme for the sample's API.</summary>
public static class SampleApiBearer
{
    public static AuthenticationBuilder AddSampleApiBearer(this AuthenticationBuilder builder, IConfiguration configuration) =>
        throw new NotSupportedException("AddOidcRpBearer is not merged yet");
}
