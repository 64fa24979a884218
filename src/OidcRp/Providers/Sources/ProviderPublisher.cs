using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Audit;
using OidcRp.Callback;
using OidcRp.Diagnostics;

namespace OidcRp.Providers.Sources;

/// <summary>
/// Makes a provider change live, in an order that leaves no half-applied state a request could see:
/// <list type="number">
/// <item>a new or changed provider's scheme is registered (or replaced) first, so a login that finds the
/// provider always finds its scheme;</item>
/// <item>the registry swaps the entries (the commit): from here on, lookups by id and the callback path map
/// (<see cref="CallbackPaths"/>, rebuilt whole on the next request) see the new version;</item>
/// <item>the handler options of the scheme are dropped from <see cref="IOptionsMonitorCache{TOptions}"/>; they are built
/// again from the new entry on next use (<see cref="ProviderHandlerOptionsCache"/> also refuses options built
/// from an older version, so a build racing the change never sticks);</item>
/// <item>a removed provider's scheme goes; its callback paths answer <c>provider_removed</c> from the commit on, for as
/// long as a pending login's correlation cookie lives (<see cref="RemovedProviders"/>);</item>
/// <item>the log line, the metric and the audit row.</item>
/// </list>
/// </summary>
internal sealed class ProviderPublisher(IServiceProvider services, RemovedProviders removed, OidcRpMetrics metrics, TimeProvider time,
    ILogger<ProviderPublisher> logger)
{
    /// <summary>Called under the registry's apply lock, so changes are published one at a time, in order.</summary>
    public void Publish(IReadOnlyList<ProviderChange> changes, Action commit)
    {
        var schemes = services.GetService<IAuthenticationSchemeProvider>();
        foreach (var change in changes)
        {
            if (change.Kind == ProviderChangeKind.Refused)
            {
                continue;
            }
            if (change.After is { } after)
            {
                SetScheme(schemes, after, replace: change.Before is not null);
            }
            else if (change.Before is { } before)
            {
                // Before the commit: from the moment the provider is gone, its callback answers provider_removed.
                removed.Add(before, time.GetUtcNow() + RemoteAuthenticationTimeout(before));
            }
        }
        commit();
        // Bearer tokens find their provider through an index of issuers built from the entries in place: a new
        // version (or a store provider loaded on first use) must replace the entry it holds, or the API would keep
        // validating against the old one. Resolved here, not injected: the index depends on the registry.
        services.GetService<Bearer.BearerIssuerIndex>()?.Invalidate();
        var cache = services.GetService<IOptionsMonitorCache<OpenIdConnectOptions>>();
        foreach (var change in changes)
        {
            Effects(schemes, cache, change);
        }
    }

    private void Effects(IAuthenticationSchemeProvider? schemes, IOptionsMonitorCache<OpenIdConnectOptions>? cache, ProviderChange change)
    {
        var source = change.Source.Name();
        switch (change.Kind)
        {
            case ProviderChangeKind.Refused:
                Log.ProviderChangeRefused(logger, change.Id, source, string.Join(" ", change.Errors));
                metrics.ProviderChange(change.Id, source, "refused");
                Audit(change, OidcAuditCategories.ProviderChanged, OidcAuditOutcomes.Failure, OidcRpReasons.ProviderInvalid);
                return;
            case ProviderChangeKind.Removed:
                cache?.TryRemove(OidcRpOptions.SchemeName(change.Id));
                if (schemes is not null && change.Before is { } before)
                {
                    schemes.RemoveScheme(before.SchemeName);
                }
                Log.ProviderRemoved(logger, change.Id, source);
                metrics.ProviderChange(change.Id, source, "removed");
                Audit(change, OidcAuditCategories.ProviderRemoved, OidcAuditOutcomes.Success, Reason(change.Source));
                return;
            case ProviderChangeKind.Added:
                removed.Forget(change.After!);
                cache?.TryRemove(OidcRpOptions.SchemeName(change.Id));
                Log.ProviderAdded(logger, change.Id, source, change.After!.Version);
                metrics.ProviderChange(change.Id, source, "added");
                Audit(change, OidcAuditCategories.ProviderAdded, OidcAuditOutcomes.Success, Reason(change.Source));
                return;
            default:
                cache?.TryRemove(OidcRpOptions.SchemeName(change.Id));
                var keys = ProviderChanges.DropsKeys(change.ChangedSettings) ? "dropped" : "kept";
                Log.ProviderChanged(logger, change.Id, source, change.After!.Version, string.Join(",", change.ChangedSettings), keys);
                metrics.ProviderChange(change.Id, source, "changed");
                Audit(change, OidcAuditCategories.ProviderChanged, OidcAuditOutcomes.Success, Reason(change.Source));
                return;
        }
    }

    private static string Reason(ProviderSource source) =>
        source == ProviderSource.Store ? OidcRpReasons.SourceStore : OidcRpReasons.SourceConfiguration;

    private void Audit(ProviderChange change, string category, string outcome, string reason)
    {
        var writer = services.GetService<AuditWriter>();
        if (writer is null)
        {
            return;
        }
        var draft = new OidcAuditRecordDraft(change.Id, category, outcome)
        {
            Reason = reason,
            Actor = change.Actor,
            Settings = change.ChangedSettings.Count > 0 ? change.ChangedSettings : null,
        };
        _ = WriteAsync(writer, draft);
    }

    private async Task WriteAsync(AuditWriter writer, OidcAuditRecordDraft draft)
    {
        try
        {
            await writer.WriteAsync(null, draft);
        }
#pragma warning disable CA1031 // an audit failure is counted by the writer; it must not undo a published change
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ProviderReloadFailed(logger, e);
        }
    }

    private static void SetScheme(IAuthenticationSchemeProvider? schemes, ProviderEntry entry, bool replace)
    {
        if (schemes is null)
        {
            return;
        }
        var scheme = new AuthenticationScheme(entry.SchemeName, entry.Options.EffectiveDisplayName, typeof(OidcRpHandler));
        if (schemes is OidcRpSchemeProvider ours)
        {
            ours.SetProviderScheme(scheme);
            return;
        }
        if (replace)
        {
            schemes.RemoveScheme(scheme.Name);
        }
        schemes.TryAddScheme(scheme);
    }

    /// <summary>How long the removed version's pending logins can come back (its correlation cookie's lifetime).</summary>
    private TimeSpan RemoteAuthenticationTimeout(ProviderEntry entry)
    {
        try
        {
            return services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(entry.SchemeName).RemoteAuthenticationTimeout;
        }
#pragma warning disable CA1031 // an application hook that throws: the stock default instead
        catch (Exception)
#pragma warning restore CA1031
        {
            return new OpenIdConnectOptions().RemoteAuthenticationTimeout;
        }
    }
}
