using Microsoft.Extensions.Diagnostics.HealthChecks;
using OidcRp.Providers;

namespace OidcRp.Diagnostics;

/// <summary>
/// Every provider in place at the time of the check, walked from the registry: a provider added at run time is
/// checked from its first appearance, a removed one is gone from the report. Store providers not loaded yet are not
/// in place and not checked (a store may hold thousands of rows; checking one would load it).
/// </summary>
internal sealed class OidcProvidersHealthCheck(OidcProviderRegistry registry, KeyRefresher refresher, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        var worst = HealthStatus.Healthy;
        foreach (var entry in registry.All)
        {
            var (status, problem) = Check(entry, failure);
            data[entry.Id] = status;
            if (problem is not null)
            {
                problems.Add($"{entry.Id}: {problem}");
            }
            worst = status < worst ? status : worst; // Unhealthy < Degraded < Healthy
        }
        var summary = $"{data.Count} providers, {data.Count - problems.Count} healthy.";
        var description = problems.Count == 0 ? summary : $"{summary} {string.Join(" ", problems)}";
        return Task.FromResult(new HealthCheckResult(worst, description, data: data));
    }

    /// <summary>One provider's status and, unless healthy, why: codes and ages only, never a URL or a secret.</summary>
    private (HealthStatus Status, string? Problem) Check(ProviderEntry entry, HealthStatus failure)
    {
        if (entry.Refused is { } refused)
        {
            return (HealthStatus.Degraded, $"a change was refused ({refused.Errors.Count} errors); version {entry.Version} is kept.");
        }
        if (entry.Snapshot is not { } snapshot)
        {
            return (failure, "has never loaded its keys.");
        }
        string? error;
        lock (entry.Gate)
        {
            error = entry.LastErrorCode;
        }
        var age = time.GetUtcNow() - snapshot.KeysFetchedAt;
        if (error is not null || age > refresher.Policy.Options.RefreshInterval * 2)
        {
            return (HealthStatus.Degraded, $"keys are stale (age {age:c}, last error {error ?? "none"}).");
        }
        return (HealthStatus.Healthy, null);
    }
}
