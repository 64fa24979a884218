using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OidcRp.Callback;

/// <summary>
/// The one request handler the authentication middleware asks on behalf of every OidcRp provider: it looks
/// the request path up among the providers' callback, signed-out callback and remote sign-out paths and
/// hands the request to those providers' stock handlers, in provider order, as the middleware would have.
/// Any other request costs one dictionary lookup, whatever the number of providers.
/// Store providers use the default paths, <c>/auth/oidc/{id}/callback</c> and <c>/auth/oidc/{id}/signout-callback</c>:
/// only a path of that shape, naming an id that could be one, reaches the registry (and, for an id not yet loaded,
/// the store, once per id and window: <see cref="Providers.Sources.StoreLookups"/>). A removed provider's paths answer
/// a clear failure (<c>provider_removed</c>, audited) while a pending login can still come back, then nothing.
/// </summary>
internal sealed class CallbackDispatcher(CallbackPaths paths, Providers.OidcProviderRegistry registry, Providers.Sources.RemovedProviders removed)
    : IAuthenticationRequestHandler
{
    /// <summary>The scheme name the middleware knows this handler by; listed by no scheme enumeration.</summary>
    public const string SchemeName = "OidcRp.Callbacks";

    private HttpContext? _context;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _context = context;
        return Task.CompletedTask;
    }

    public async Task<bool> HandleRequestAsync()
    {
        var context = _context!;
        if (!paths.TryGetSchemes(context.Request.Path, out var schemes))
        {
            if (registry.Store is not null && StoreProviderId(context.Request.Path) is { } id
                && await registry.FindAsync(id, context.RequestAborted) is { Source: Providers.ProviderSource.Store } entry)
            {
                schemes = [entry.SchemeName];
            }
            else if (removed.Find(context.Request.Path) is { } removedId)
            {
                await RemovedAsync(context, removedId);
                return true;
            }
            else
            {
                return false;
            }
        }
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        foreach (var scheme in schemes)
        {
            if (await handlers.GetHandlerAsync(context, scheme) is IAuthenticationRequestHandler handler && await handler.HandleRequestAsync())
            {
                return true;
            }
        }
        return false;
    }

    private const string CallbackSuffix = "/callback";
    private const string SignedOutSuffix = "/signout-callback";

    /// <summary>The id in <c>/auth/oidc/{id}/callback</c> or <c>/auth/oidc/{id}/signout-callback</c>, or null.</summary>
    internal static string? StoreProviderId(PathString path)
    {
        var value = path.Value;
        const string prefix = Microsoft.AspNetCore.Builder.OidcRpEndpointRouteBuilderExtensions.Prefix + "/";
        if (value is null || !value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var rest = value.AsSpan(prefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return null;
        }
        var suffix = rest[slash..];
        return suffix.Equals(CallbackSuffix, StringComparison.OrdinalIgnoreCase) || suffix.Equals(SignedOutSuffix, StringComparison.OrdinalIgnoreCase)
            ? rest[..slash].ToString()
            : null;
    }

    private static async Task RemovedAsync(HttpContext context, string providerId)
    {
        var services = context.RequestServices;
        Diagnostics.Log.RemovedProviderCallback(services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<CallbackDispatcher>>(), providerId);
        await services.GetRequiredService<Audit.AuditWriter>().WriteAsync(context,
            new Audit.OidcAuditRecordDraft(providerId, Audit.OidcAuditCategories.CallbackRejected, Audit.OidcAuditOutcomes.Failure)
            {
                Reason = Audit.OidcRpReasons.ProviderRemoved,
            });
        await ErrorResponses.WriteAsync(context, Audit.OidcAuditCategories.CallbackRejected);
    }

    public Task<AuthenticateResult> AuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

    public Task ChallengeAsync(AuthenticationProperties? properties) => Task.CompletedTask;

    public Task ForbidAsync(AuthenticationProperties? properties) => Task.CompletedTask;
}
