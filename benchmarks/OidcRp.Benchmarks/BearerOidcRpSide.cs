using Microsoft.AspNetCore.Builder;
using OidcRp.Tests.Support;

namespace OidcRp.Benchmarks;

/// <summary>OidcRp's side of the bearer benchmark: the provider in the registry and <c>AddOidcRpBearer</c> on it.</summary>
internal static class BearerOidcRpSide
{
    /// <summary>Registers OidcRp's bearer scheme for the API; returns the scheme name.</summary>
    public static string Configure(WebApplicationBuilder builder, TestOp op) =>
        throw new NotSupportedException("AddOidcRpBearer is not merged yet");
}
