using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Audit;

namespace OidcRp.Callback;

/// <summary>
/// The stock handler with bounds on what reaches it at the callback. The stock handler reads any
/// form_post body the server accepts (30 MB by default, values up to 4 MB, 1,024 of them) and hands the
/// values to Data Protection and the token endpoint. An authorization response is a handful of short
/// parameters (RFC 6749 §4.1.2, RFC 9207, OIDC Core §3.1.2.5), each at most once: anything beyond
/// the limits below is refused before state is unprotected or a code is redeemed.
/// </summary>
internal sealed partial class OidcRpHandler(IOptionsMonitor<OpenIdConnectOptions> options, ILoggerFactory logger, HtmlEncoder htmlEncoder, UrlEncoder encoder,
    Providers.OidcProviderRegistry registry)
    : OpenIdConnectHandler(options, new StockCategory(logger), htmlEncoder, encoder)
{
    /// <summary>A whole form_post body.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>One parameter's value (protected state with a long return URL stays far below it).</summary>
    public const int MaxValueLength = 16 * 1024;

    public const int MaxParameters = 32;

    public const int MaxNameLength = 64;

    private static readonly FormOptions Limits = new()
    {
        ValueCountLimit = MaxParameters,
        KeyLengthLimit = MaxNameLength,
        ValueLengthLimit = MaxValueLength,
        BufferBody = false,
    };

    protected override async Task<HandleRequestResult> HandleRemoteAuthenticateAsync()
    {
        var id = Scheme.Name.StartsWith(OidcRpOptions.SchemePrefix, StringComparison.Ordinal) ? Scheme.Name[OidcRpOptions.SchemePrefix.Length..] : Scheme.Name;
        var (reason, state) = await CheckAsync();
        if (reason is not null)
        {
            Context.Features.Set(new OidcCallbackFeature(id) { RejectReason = reason });
            return HandleRequestResult.Fail("The authorization response breaks OidcRp's limits.");
        }
        // The flow's identity for the replay guard, captured as the answer arrives: the stock handler replaces
        // the state parameter with its user state before any event runs. Hashed at once, never kept.
        Context.Features.Set(new OidcCallbackFeature(id) { StateHash = state is { Length: > 0 } ? CallbackReplayGuard.Hash(state) : null });
        return await base.HandleRemoteAuthenticateAsync();
    }

    /// <summary>
    /// Front-channel logout (OpenID Connect Front-Channel Logout 1.0) only for a provider that turned it on:
    /// the stock handler would otherwise sign the user out on any GET to its remote sign-out path that names
    /// the (public) issuer, when the ID token carried no <c>sid</c>. CallbackPaths does not route the path for
    /// such a provider; this covers applications that keep the stock scheme provider, which asks every handler.
    /// </summary>
    protected override Task<bool> HandleRemoteSignOutAsync() =>
        Provider is { Options.FrontChannelLogout: true }
            ? base.HandleRemoteSignOutAsync()
            : Task.FromResult(false);

    /// <summary>
    /// This scheme's provider: the version these handler options were built for (one request reads one version
    /// throughout, whatever changes meanwhile), or null for a scheme OidcRp did not add.
    /// </summary>
    private Providers.ProviderEntry? Provider =>
        Options.Events is OidcRpEvents events ? events.Entry
        : Scheme.Name.StartsWith(OidcRpOptions.SchemePrefix, StringComparison.Ordinal) ? registry.Find(Scheme.Name[OidcRpOptions.SchemePrefix.Length..]) : null;

    /// <summary>
    /// The code redemption (RFC 6749 §4.1.3) authenticated as the provider takes it: the stock handler posts the
    /// secret in the body; with client_secret_basic it goes in the Authorization header instead (RFC 6749 §2.3.1).
    /// </summary>
    protected override async Task<Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectMessage> RedeemAuthorizationCodeAsync(
        Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectMessage tokenEndpointRequest)
    {
        if (Provider is not { } entry || string.IsNullOrEmpty(tokenEndpointRequest.ClientSecret) || Options.ConfigurationManager is null)
        {
            return await base.RedeemAuthorizationCodeAsync(tokenEndpointRequest);
        }
        var configuration = await Options.ConfigurationManager.GetConfigurationAsync(Context.RequestAborted);
        if (ProviderRequests.ClientAuthentication(configuration, entry.Options.ClientAuthentication) != ProviderRequests.Basic)
        {
            return await base.RedeemAuthorizationCodeAsync(tokenEndpointRequest);
        }
        var endpoint = tokenEndpointRequest.TokenEndpoint ?? configuration.TokenEndpoint;
        var credentials = ProviderRequests.BasicCredentials(tokenEndpointRequest.ClientId ?? Options.ClientId!, tokenEndpointRequest.ClientSecret);
        return await BasicAuthenticatedPost.SendAsync(Backchannel, endpoint, tokenEndpointRequest, credentials, Context.RequestAborted);
    }

    /// <summary>A reason when the response breaks a limit; else null and the response's (single) state value.</summary>
    private async Task<(string? Reason, string? State)> CheckAsync()
    {
        // The response mode each flow asked for is checked once its state is unprotected (OidcRpEvents.MessageReceived).
        IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> parameters = Request.Query;
        if (HttpMethods.IsPost(Request.Method) && Request.HasFormContentType)
        {
            if (Request.ContentLength > MaxBodyBytes)
            {
                return (OidcRpReasons.ResponseTooLarge, null);
            }
            if (Context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = MaxBodyBytes; // chunked bodies without a length
            }
            if (Context.Features.Get<IFormFeature>() is not { Form: not null })
            {
                Context.Features.Set<IFormFeature>(new FormFeature(Request, Limits));
            }
            try
            {
                parameters = await Request.ReadFormAsync(Context.RequestAborted);
            }
            catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
            {
                return (OidcRpReasons.ResponseTooLarge, null);
            }
        }
        var count = 0;
        string? state = null;
        foreach (var (name, values) in parameters)
        {
            if (++count > MaxParameters || name.Length > MaxNameLength)
            {
                return (OidcRpReasons.ResponseTooLarge, null);
            }
            if (values.Count > 1)
            {
                return (OidcRpReasons.ParameterRepeated, null); // RFC 6749 §3.1: parameters must not be included more than once
            }
            if (values.Count == 1 && values[0]!.Length > MaxValueLength)
            {
                return (OidcRpReasons.ResponseTooLarge, null);
            }
            if (name == Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectParameterNames.State)
            {
                state = values.Count == 1 ? values[0] : null;
            }
        }
        return (null, state);
    }

    /// <summary>
    /// Logs under the stock handler's category, so the filter OidcRp sets on it (its Debug lines carry the
    /// authorization URL with state and nonce) and the application's own filters keep applying.
    /// </summary>
    private sealed class StockCategory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => inner.CreateLogger(typeof(OpenIdConnectHandler).FullName!);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
            // The application's factory is not ours to dispose.
        }
    }
}
