using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Diagnostics;

namespace OidcRp.Providers;

/// <summary>
/// Says at start-up, once per provider, that a multi-tenant provider (Entra ID <c>common</c>, <c>organizations</c>,
/// <c>consumers</c>, or an <see cref="OidcProviderOptions.IssuerTemplate"/>) with no <c>AllowedTenants</c> lets users
/// of any tenant sign in: anyone can create a tenant, so "signed in with Entra ID" alone proves no membership.
/// </summary>
internal sealed class OpenTenantWarning(IOptions<OidcRpOptions> options, ILogger<OpenTenantWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, provider) in options.Value.Providers)
        {
            if (provider.AllowedTenants.Count == 0 && IssuerRule.IsTemplateProvider(provider))
            {
                Log.AnyTenantCanSignIn(logger, id);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
