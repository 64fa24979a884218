using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Diagnostics;

namespace OidcRp.Providers;

/// <summary>
/// What the stock OpenIdConnect handler sees as its configuration manager: the registry's snapshot.
/// Deliberately not a <c>BaseConfigurationManager</c>, so IdentityModel's own last-known-good retry is
/// never engaged, and <see cref="RequestRefresh"/> does nothing: only OidcRp's rule refreshes keys.
/// </summary>
internal sealed class RegistryConfigurationManager(ProviderEntry entry, KeyRefresher refresher, ILogger logger)
    : IConfigurationManager<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var result = await refresher.EnsureLoadedAsync(entry, cancel);
        return result.Snapshot?.Configuration
            ?? throw new ProviderUnavailableException(entry.Id, result.ErrorCode ?? "unavailable");
    }

    public void RequestRefresh() => Log.HandlerRefreshIgnored(logger, entry.Id);
}

/// <summary>A provider's metadata has never loaded, so a sign-in cannot start or finish.</summary>
internal sealed class ProviderUnavailableException(string providerId, string errorCode)
    : InvalidOperationException($"OidcRp provider '{providerId}' metadata is unavailable ({errorCode}).")
{
    public string ProviderId { get; } = providerId;

    public string ErrorCode { get; } = errorCode;
}
