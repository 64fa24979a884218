using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using OidcRp.Audit;

namespace OidcRp;

/// <summary>
/// Options of OidcRp: the providers users can sign in with and the key policy shared by all of them.
/// Bound from configuration (section <c>OidcRp</c> by convention) and/or set in code.
/// </summary>
public sealed class OidcRpOptions
{
    /// <summary>The authentication scheme name prefix; provider <c>x</c> gets scheme <c>oidc:x</c>.</summary>
    public const string SchemePrefix = "oidc:";

    /// <summary>
    /// The providers, keyed by provider id. Ids are URL-safe and unique ignoring case;
    /// they appear in routes (<c>/auth/oidc/{id}/login</c>) and scheme names.
    /// </summary>
    public IDictionary<string, OidcProviderOptions> Providers { get; } =
        new Dictionary<string, OidcProviderOptions>(StringComparer.Ordinal);

    /// <summary>The key policy: when and how often discovery and JWKS are fetched.</summary>
    public OidcKeyPolicyOptions Keys { get; set; } = new();

    /// <summary>The admin endpoints' options.</summary>
    public OidcAdminOptions Admin { get; set; } = new();

    /// <summary>How audit rows of floods (denied admin calls, forged callbacks) are aggregated.</summary>
    public OidcAuditOptions Audit { get; set; } = new();

    /// <summary>
    /// The scheme that signs the user in after a successful callback. When null, the
    /// application's <c>DefaultSignInScheme</c> (or <c>DefaultScheme</c>) is used.
    /// </summary>
    public string? SignInScheme { get; set; }

    /// <summary>
    /// A local path that failed sign-ins are redirected to, with <c>error</c> (an audit category)
    /// and <c>traceId</c> query parameters. When null, OidcRp answers with a small generic error page.
    /// </summary>
    public string? ErrorPath { get; set; }

    /// <summary>
    /// Customises every provider's stock <see cref="OpenIdConnectOptions"/> after OidcRp has set them up.
    /// OidcRp's own event handlers stay in place: events set here run after OidcRp's.
    /// </summary>
    public Action<OidcProviderOptions, OpenIdConnectOptions>? ConfigureHandler { get; set; }

    /// <summary>
    /// Creates the HTTP handler under all of OidcRp's outbound requests (discovery, JWKS, the token endpoint):
    /// for a proxy, a client certificate or a test handler. Called once; OidcRp disposes the handler when the
    /// application stops, and turns off its automatic redirects (OidcRp follows same-origin metadata redirects
    /// itself). When null, a pooled <see cref="System.Net.Http.SocketsHttpHandler"/> whose connections are renewed
    /// every two minutes, so DNS changes are seen.
    /// OidcRp's requests never go through <see cref="System.Net.Http.IHttpClientFactory"/>: app-wide defaults
    /// (<c>ConfigureHttpClientDefaults</c>, resilience handlers, handler filters) do not apply to them, and none
    /// is retried. A handler returned here is the app's deliberate choice: whatever it throws ends as a failed
    /// fetch (reason <c>discovery_other</c> or <c>jwks_other</c>) or a failed code exchange, never an error page.
    /// </summary>
    public Func<IServiceProvider, HttpMessageHandler>? HttpHandlerFactory { get; set; }

    /// <summary>Set by <c>AddOidcProviderStore</c>: providers may come from a store, so configuration may list none.</summary>
    internal bool HasProviderStore { get; set; }

    /// <summary>Returns the scheme name of a provider id.</summary>
    /// <param name="providerId">The provider id.</param>
    public static string SchemeName(string providerId) => SchemePrefix + providerId;
}
