using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>The client-credentials grant as a service calling the test API would send it, at any test OP.</summary>
public static class AccessTokens
{
    /// <summary>The audience every test OP puts into its access tokens for the test API.</summary>
    public const string Audience = "oidcrp-api";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Posts <c>grant_type=client_credentials</c> with HTTP Basic client authentication (RFC 6749 §2.3.1) and the
    /// OP-specific <paramref name="parameters"/> (scope, RFC 8707 resource); returns the access token.
    /// </summary>
    public static async Task<string> ClientCredentialsAsync(string tokenEndpoint, string clientId, string clientSecret,
        params (string Name, string Value)[] parameters)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
        {
            Content = new FormUrlEncodedContent(
                [new("grant_type", "client_credentials"), .. parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value))]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}")));
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"client credentials at {tokenEndpoint}: {(int)response.StatusCode} {body}");
        }
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()
            ?? throw new InvalidOperationException($"client credentials at {tokenEndpoint}: no access_token");
    }
}
