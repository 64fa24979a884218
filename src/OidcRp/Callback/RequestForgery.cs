using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace OidcRp.Callback;

/// <summary>
/// Antiforgery for OidcRp's state-changing POSTs (sign-in, sign-out, forced refresh) in apps that use
/// antiforgery (MVC and Razor Pages register it): another site must not make a signed-in browser act.
/// Apps without antiforgery services are not affected, nor are requests that carry an Authorization
/// header and no cookie.
/// </summary>
internal static class RequestForgery
{
    public static async Task<bool> HoldsAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method)
            // An API client's own credentials and no cookie: nothing a browser would send on its own
            // (browsers do replay cached Basic/Negotiate credentials, but then with the site's cookies).
            || (context.Request.Headers.Authorization.Count > 0 && context.Request.Headers.Cookie.Count == 0)
            || context.RequestServices.GetService(typeof(IAntiforgery)) is not IAntiforgery antiforgery)
        {
            return true;
        }
        return await antiforgery.IsRequestValidAsync(context);
    }
}
