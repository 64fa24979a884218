using System.Net.Http.Headers;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace OidcRp.Callback;

/// <summary>
/// A back-channel POST authenticated with client_secret_basic. The stock handler always puts the client secret in
/// the body (client_secret_post) at the token and pushed authorization endpoints, and builds those requests where no
/// event can add a header; for a provider that authenticates clients with HTTP Basic, OidcRp sends them itself,
/// with the secret removed from the body and the same reading of the answer as the stock handler.
/// </summary>
internal static class BasicAuthenticatedPost
{
    /// <summary>Posts <paramref name="request"/>'s parameters without <c>client_secret</c>, which moves to the Authorization header.</summary>
    public static async Task<OpenIdConnectMessage> SendAsync(HttpClient backchannel, string endpoint, OpenIdConnectMessage request,
        AuthenticationHeaderValue credentials, CancellationToken cancellationToken)
    {
        var parameters = request.Parameters
            .Where(p => p.Value is not null && !string.Equals(p.Key, OpenIdConnectParameterNames.ClientSecret, StringComparison.Ordinal))
            .ToList();
        using var message = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new FormUrlEncodedContent(parameters),
            Version = backchannel.DefaultRequestVersion,
        };
        message.Headers.Authorization = credentials;
        using var response = await backchannel.SendAsync(message, cancellationToken);
        OpenIdConnectMessage answer;
        try
        {
            answer = new OpenIdConnectMessage(await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new OpenIdConnectProtocolException($"The answer of the provider's endpoint is not JSON (status {(int)response.StatusCode}).", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            // Only the registered error code, never the provider's description (it may echo what it was sent).
            throw new OpenIdConnectProtocolException($"The provider's endpoint answered {(int)response.StatusCode} with error '{OidcRp.Audit.AuditText.Clean(answer.Error, 64)}'.");
        }
        return answer;
    }
}
