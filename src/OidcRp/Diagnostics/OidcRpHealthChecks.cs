using Microsoft.Extensions.Diagnostics.HealthChecks;
using OidcRp;
using OidcRp.Diagnostics;

#pragma warning disable IDE0130 // extension methods live in the namespace their users already import
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Health checks for OidcRp's providers.</summary>
public static class OidcRpHealthChecksBuilderExtensions
{
    /// <summary>The name of the check <see cref="AddOidcRpProviders"/> adds, also its tag: <c>oidcrp</c>.</summary>
    public const string CheckName = "oidcrp";

    /// <summary>
    /// Adds one health check, named and tagged <see cref="CheckName"/>, over the providers in place at each check
    /// (configuration providers, also those a reload added, and the store providers loaded so far). Each provider is
    /// healthy with fresh keys, degraded when the last fetch failed, the keys are older than twice the refresh interval
    /// or a change was refused, and unhealthy when it has never loaded. The check reports the worst of them (an
    /// unhealthy provider as the registration's failure status) and each provider's status in its data, keyed by
    /// provider id, as a <see cref="HealthStatus"/>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOidcRpProviders(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // One registration for every provider, present or future: registrations are fixed when the health check
        // service is built, providers are not (configuration reloads and the provider store change them at run time).
        return builder.AddCheck<OidcProvidersHealthCheck>(CheckName, failureStatus: null, tags: [CheckName]);
    }
}
