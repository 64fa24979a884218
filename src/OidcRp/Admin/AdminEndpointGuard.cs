using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace OidcRp.Admin;

/// <summary>
/// Makes an unprotected admin mapping fail at start-up: each admin endpoint must carry an authorization
/// policy and must not allow anonymous access. The check runs when endpoints are built, which this
/// hosted service forces at start.
/// </summary>
internal sealed class AdminEndpointGuard(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Building the endpoints runs RequireAuthorizationPolicy on every admin endpoint.
        _ = services.GetService<EndpointDataSource>()?.Endpoints;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static void RequireAuthorizationPolicy(EndpointBuilder endpoint)
    {
        var metadata = endpoint.Metadata;
        if (!metadata.OfType<OidcAdminEndpointMetadata>().Any())
        {
            return;
        }
        var authorized = metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<AuthorizationPolicy>().Any();
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        if (!authorized || anonymous)
        {
            throw new InvalidOperationException(
                $"OidcRp admin endpoint '{endpoint.DisplayName}' has no authorization policy. Call MapOidcAdmin().RequireAuthorization(\"YourAdminPolicy\").");
        }
    }
}
