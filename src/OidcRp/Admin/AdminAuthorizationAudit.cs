using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OidcRp.Audit;
using OidcRp.Diagnostics;
using OidcRp.Providers;

namespace OidcRp.Admin;

/// <summary>
/// Wraps the application's <see cref="IAuthorizationMiddlewareResultHandler"/> so that a denied (401/403)
/// call to an admin endpoint writes an audit row with the actor before the usual challenge or forbid.
/// </summary>
internal sealed class AdminAuthorizationAudit(IAuthorizationMiddlewareResultHandler inner, IServiceProvider services)
    : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if ((authorizeResult.Challenged || authorizeResult.Forbidden)
            && context.GetEndpoint()?.Metadata.GetMetadata<OidcAdminEndpointMetadata>() is { } admin)
        {
            var registry = services.GetRequiredService<OidcProviderRegistry>();
            // Only a known provider id is recorded: the row must not become a store of attacker input.
            var providerId = registry.Find(context.Request.RouteValues["id"] as string)?.Id ?? AdminEndpoints.UnknownProvider;
            var actor = context.User.GetOidcAuditActor();
            var status = authorizeResult.Challenged ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            Log.AdminDenied(services.GetRequiredService<ILogger<AdminAuthorizationAudit>>(), AuditText.Clean(context.Request.Path.Value, 256)!, status, AuditText.Clean(actor, 128)!);
            await services.GetRequiredService<AuditWriter>().WriteAsync(context, new OidcAuditRecordDraft(
                providerId, admin.Category ?? (admin.IsRefresh ? OidcAuditCategories.AdminRefresh : OidcAuditCategories.AdminAccess), OidcAuditOutcomes.Denied)
            {
                Actor = actor,
                Reason = authorizeResult.Challenged ? OidcRpReasons.Unauthenticated : OidcRpReasons.Forbidden,
            });
        }
        await inner.HandleAsync(next, context, policy, authorizeResult);
    }

    /// <summary>Decorates whatever result handler is registered (or the default one), once.</summary>
    internal static void Register(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(Marker)))
        {
            return;
        }
        services.AddSingleton<Marker>();
        var existing = services.LastOrDefault(d => d.ServiceType == typeof(IAuthorizationMiddlewareResultHandler));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler>(sp => new AdminAuthorizationAudit(Resolve(sp, existing), sp));
    }

    private static IAuthorizationMiddlewareResultHandler Resolve(IServiceProvider sp, ServiceDescriptor? existing) => existing switch
    {
        null => new AuthorizationMiddlewareResultHandler(),
        { ImplementationInstance: IAuthorizationMiddlewareResultHandler instance } => instance,
        { ImplementationFactory: { } factory } => (IAuthorizationMiddlewareResultHandler)factory(sp),
        { ImplementationType: { } type } => (IAuthorizationMiddlewareResultHandler)ActivatorUtilities.CreateInstance(sp, type),
        _ => new AuthorizationMiddlewareResultHandler(),
    };

    private sealed class Marker;
}
