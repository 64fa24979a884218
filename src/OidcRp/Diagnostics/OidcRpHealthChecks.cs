using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OidcRp;
using OidcRp.Providers;

#pragma warning disable IDE0130 // extension methods live in the namespace their users already import
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Health checks for OidcRp's providers.</summary>
public static class OidcRpHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one health check per provider, named <c>oidc:{id}</c> and tagged <c>oidcrp</c>: healthy with
    /// fresh keys, degraded when the last fetch failed or the keys are older than twice the refresh
    /// interval, unhealthy when the provider has never loaded.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOidcRpProviders(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<OidcRpOptions>>((health, rp) =>
        {
            foreach (var id in rp.Value.Providers.Keys)
            {
                var name = OidcRpOptions.SchemeName(id);
                if (health.Registrations.All(r => r.Name != name))
                {
                    health.Registrations.Add(new HealthCheckRegistration(name,
                        sp => new OidcProviderHealthCheck(id, sp.GetRequiredService<OidcProviderRegistry>(), sp.GetRequiredService<KeyRefresher>(), sp.GetRequiredService<TimeProvider>()),
                        failureStatus: null, tags: ["oidcrp"]));
                }
            }
        });
        return builder;
    }
}

/// <summary>One provider's health, of the version in place at each check (providers change at run time).</summary>
internal sealed class OidcProviderHealthCheck(string id, OidcProviderRegistry registry, KeyRefresher refresher, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (registry.Find(id) is not { } entry)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"Provider '{id}' was removed."));
        }
        if (entry.Refused is { } refused)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"Provider '{entry.Id}': a change was refused ({refused.Errors.Count} errors); version {entry.Version} is kept."));
        }
        var snapshot = entry.Snapshot;
        if (snapshot is null)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"Provider '{entry.Id}' has never loaded its keys."));
        }
        string? error;
        lock (entry.Gate)
        {
            error = entry.LastErrorCode;
        }
        var age = time.GetUtcNow() - snapshot.KeysFetchedAt;
        if (error is not null || age > refresher.Policy.Options.RefreshInterval * 2)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"Provider '{entry.Id}' keys are stale (age {age:c}, last error {error ?? "none"})."));
        }
        return Task.FromResult(HealthCheckResult.Healthy($"Provider '{entry.Id}': {snapshot.SigningKeys.Count} signing keys."));
    }
}
