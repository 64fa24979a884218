using System.Net.Http.Headers;
using System.Text;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace OidcRp.Callback;

/// <summary>
/// What each request to a provider looks like, chosen from what its discovery document offers and what the
/// provider's options override: the response mode, the client authentication and whether to push the request.
/// Decided at request time, because discovery is loaded lazily and may change at a refresh.
/// </summary>
internal static class ProviderRequests
{
    public const string FormPost = OpenIdConnectResponseMode.FormPost;
    public const string Query = OpenIdConnectResponseMode.Query;
    public const string Basic = "client_secret_basic";
    public const string Post = "client_secret_post";

    /// <summary>The protected-state item naming the response mode a flow asked for.</summary>
    public const string ResponseModeItem = ".oidcrp.response_mode";

    /// <summary>The protected-state item holding the <c>max_age</c> a flow asked for, in seconds.</summary>
    public const string MaxAgeItem = ".oidcrp.max_age";

    public static readonly IReadOnlyList<string> ResponseModes = [FormPost, Query];

    public static readonly IReadOnlyList<string> ClientAuthentications = [Basic, Post];

    /// <summary>
    /// form_post where offered, else query. An absent <c>response_modes_supported</c> means <c>["query", "fragment"]</c>
    /// (OIDC Discovery §3), and fragment never reaches a server: query.
    /// </summary>
    public static string ResponseMode(OpenIdConnectConfiguration configuration, string? configured) =>
        !string.IsNullOrEmpty(configured) ? configured
        : configuration.ResponseModesSupported.Contains(FormPost, StringComparer.Ordinal) ? FormPost
        : Query;

    /// <summary>
    /// client_secret_basic when listed or when the list is absent (OIDC Discovery §3: the default), else
    /// client_secret_post when listed; else basic, which the provider will refuse if it takes neither.
    /// </summary>
    public static string ClientAuthentication(OpenIdConnectConfiguration configuration, string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        var listed = configuration.TokenEndpointAuthMethodsSupported;
        return listed.Count == 0 || listed.Contains(Basic, StringComparer.Ordinal) || !listed.Contains(Post, StringComparer.Ordinal) ? Basic : Post;
    }

    /// <summary>Whether the stock handler will push this provider's authorization requests (RFC 9126 §5).</summary>
    public static bool Pushes(OpenIdConnectConfiguration configuration, bool enabled) =>
        enabled && !string.IsNullOrEmpty(configuration.PushedAuthorizationRequestEndpoint);

    /// <summary>The response mode a flow asked for, as its authorization request names it (absent: query, the code flow's default).</summary>
    public static string ModeOf(OpenIdConnectMessage request) => request.ResponseMode switch
    {
        null or "" or Query => Query,
        FormPost => FormPost,
        var other => throw new InvalidOperationException($"OidcRp answers only form_post or query authorization responses, not '{other}'."),
    };

    /// <summary>
    /// The HTTP Basic credentials of RFC 6749 §2.3.1: client id and secret each form-urlencoded (Appendix B) before
    /// they are joined with ':' and base64-encoded, so a ':' or a non-ASCII character in either survives.
    /// </summary>
    public static AuthenticationHeaderValue BasicCredentials(string clientId, string clientSecret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(FormEncode(clientId) + ":" + FormEncode(clientSecret))));

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);
}
