using System.Globalization;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using OidcRp.Providers;

namespace OidcRp.Callback;

/// <summary>
/// OidcRp's part of each authorization request and of the checks its answer must pass later: the response mode
/// chosen from the provider's discovery (recorded in the protected state, so the callback accepts exactly that
/// mode), <c>max_age</c> (recorded too, so <c>auth_time</c> is checked), and the pushed request authenticated as the
/// provider takes it.
/// </summary>
internal static class AuthorizationRequests
{
    /// <summary>Before the application's events: the response mode this provider offers (or is configured with).</summary>
    public static async Task ChooseAsync(RedirectContext context, ProviderEntry entry)
    {
        var configuration = await context.Options.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
        var mode = ProviderRequests.ResponseMode(configuration, entry.Options.ResponseMode);
        // Multiple Response Types §2.1: the code flow's default (query) is better left out of the request.
        context.ProtocolMessage.ResponseMode = mode == ProviderRequests.Query ? null : mode;
    }

    /// <summary>
    /// After the application's events, what the request finally asks for travels in the state, which the stock
    /// handler protects right after this event (and pushes, with PAR, after that).
    /// </summary>
    public static void Record(RedirectContext context)
    {
        var items = context.Properties.Items;
        items[ProviderRequests.ResponseModeItem] = ProviderRequests.ModeOf(context.ProtocolMessage);
        if (context.ProtocolMessage.MaxAge is { Length: > 0 } maxAge)
        {
            items[ProviderRequests.MaxAgeItem] = maxAge;
        }
    }

    /// <summary>
    /// Whether the answer came back in another mode than the flow asked for: a query answer to a form_post request is
    /// a downgrade that puts the code in history, logs and Referer; a form_post answer to a query request was not
    /// sent by the provider the flow went to. A flow with no recorded mode was started by an earlier version, which
    /// always asked for form_post. Without state there is nothing to compare (the stock handler refuses it).
    /// </summary>
    public static bool ModeMismatch(MessageReceivedContext context)
    {
        if (context.Properties is null)
        {
            return false;
        }
        var expected = context.Properties.Items.TryGetValue(ProviderRequests.ResponseModeItem, out var mode) && mode is not null ? mode : ProviderRequests.FormPost;
        var actual = HttpMethods.IsPost(context.Request.Method) ? ProviderRequests.FormPost : ProviderRequests.Query;
        return !string.Equals(expected, actual, StringComparison.Ordinal);
    }

    /// <summary>
    /// OIDC Core §3.1.2.1: with <c>max_age</c> requested, <c>auth_time</c> is required, and an authentication older than
    /// <c>max_age</c> (plus the clock skew) is refused, as is one in the future.
    /// </summary>
    public static bool AuthTimeValid(TokenValidatedContext context, TimeProvider time)
    {
        if (!context.Properties!.Items.TryGetValue(ProviderRequests.MaxAgeItem, out var maxAgeText)
            || !long.TryParse(maxAgeText, NumberStyles.None, CultureInfo.InvariantCulture, out var maxAge))
        {
            return true;
        }
        var claim = context.Principal?.FindFirst("auth_time")?.Value;
        if (!long.TryParse(claim, NumberStyles.None, CultureInfo.InvariantCulture, out var authTime))
        {
            return false;
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)context.Options.TokenValidationParameters.ClockSkew.TotalSeconds;
        return authTime <= now + skew && now - authTime <= maxAge + skew;
    }

    /// <summary>
    /// RFC 9126 §2: the pushed request is authenticated like a token request. The stock handler puts the secret in
    /// the body; for client_secret_basic OidcRp pushes it itself, with the secret in the Authorization header.
    /// </summary>
    public static async Task PushAsync(PushedAuthorizationContext context, ProviderEntry entry)
    {
        var options = context.Options;
        if (string.IsNullOrEmpty(options.ClientSecret) || context.HandledPush || context.SkippedPush)
        {
            return;
        }
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(context.HttpContext.RequestAborted);
        if (ProviderRequests.ClientAuthentication(configuration, entry.Options.ClientAuthentication) != ProviderRequests.Basic)
        {
            return;
        }
        // HandlePush alone: the stock handler then neither adds the secret nor pushes (one of the three calls only).
        var credentials = ProviderRequests.BasicCredentials(options.ClientId!, options.ClientSecret);
        var answer = await BasicAuthenticatedPost.SendAsync(options.Backchannel, configuration.PushedAuthorizationRequestEndpoint,
            context.ProtocolMessage, credentials, context.HttpContext.RequestAborted);
        context.HandlePush(answer.GetParameter("request_uri")
            ?? throw new OpenIdConnectProtocolException("The pushed authorization answer has no request_uri (RFC 9126 §2.2)."));
    }
}
