using System.Diagnostics;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OidcRp.Audit;

namespace OidcRp.Callback;

/// <summary>
/// The answer to a failed sign-in: a redirect to the app's <see cref="OidcRpOptions.ErrorPath"/>, or a
/// small generic page. Only the audit category and trace id are shown; never an OP's error text.
/// </summary>
internal static class ErrorResponses
{
    public static async Task WriteAsync(HttpContext context, string category)
    {
        var traceId = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        var options = context.RequestServices.GetRequiredService<IOptions<OidcRpOptions>>().Value;
        if (options.ErrorPath is { } path)
        {
            context.Response.Redirect($"{path}?error={UrlEncoder.Default.Encode(category)}&traceId={UrlEncoder.Default.Encode(traceId)}");
            return;
        }
        context.Response.StatusCode = category switch
        {
            OidcAuditCategories.JwksUnreachable => StatusCodes.Status503ServiceUnavailable,
            OidcAuditCategories.LoginStartFailed => StatusCodes.Status502BadGateway, // the provider failed the pushed request
            _ => StatusCodes.Status400BadRequest,
        };
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var html = HtmlEncoder.Default;
        await context.Response.WriteAsync(
            "<!doctype html><html><head><title>Sign-in failed</title></head><body>"
            + "<h1>Sign-in failed</h1><p>We could not sign you in. Please try again.</p>"
            + $"<p>Error: <code>{html.Encode(category)}</code>. Reference: <code>{html.Encode(traceId)}</code>.</p>"
            + "<p><a href=\"/\">Back to the start page</a></p></body></html>");
    }
}
