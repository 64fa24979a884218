using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OidcRp.Callback;

/// <summary>
/// The one request handler the authentication middleware asks on behalf of every OidcRp provider: it looks
/// the request path up among the providers' callback, signed-out callback and remote sign-out paths and
/// hands the request to those providers' stock handlers, in provider order, as the middleware would have.
/// Any other request costs one dictionary lookup, whatever the number of providers.
/// </summary>
internal sealed class CallbackDispatcher(CallbackPaths paths) : IAuthenticationRequestHandler
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
            return false;
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

    public Task<AuthenticateResult> AuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

    public Task ChallengeAsync(AuthenticationProperties? properties) => Task.CompletedTask;

    public Task ForbidAsync(AuthenticationProperties? properties) => Task.CompletedTask;
}
