using System.Net;
using System.Text.RegularExpressions;

namespace OidcRp.Tests.Unit.Support;

/// <summary>One authorization response on its way back to the RP (the OP's auto-submitting form).</summary>
internal sealed record PendingCallback(string Action, Dictionary<string, string> Fields);

/// <summary>
/// Drives a login the way a browser does, over real HTTP: follows the RP's redirect to the OP, reads the
/// OP's form_post page and posts it back. Keeps the RP's cookies itself (Secure cookies over http
/// included, as a browser does on localhost) and never follows redirects automatically.
/// </summary>
internal sealed partial class BrowserClient(string rpBase) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Cookies => _cookies;

    /// <summary>Every RP response body this browser saw, for the secret scan.</summary>
    public List<string> Bodies { get; } = [];

    public string UserAgent { get; set; } = "OidcRpTests/1.0";

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, Dictionary<string, string>? form = null)
    {
        using var request = new HttpRequestMessage(method, url.StartsWith('/') ? rpBase + url : url);
        request.Headers.UserAgent.ParseAdd(UserAgent);
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }
        var toRp = request.RequestUri!.GetLeftPart(UriPartial.Authority) == rpBase;
        if (toRp && _cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }
        var response = await _http.SendAsync(request);
        if (toRp)
        {
            Remember(response);
            Bodies.Add(await response.Content.ReadAsStringAsync());
        }
        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string url) => SendAsync(HttpMethod.Get, url);

    /// <summary>Starts a login and stops with the OP's answer in hand, before it reaches the RP.</summary>
    public async Task<PendingCallback> BeginLoginAsync(string providerId, string returnUrl = "/whoami")
    {
        using var start = await GetAsync($"/auth/oidc/{providerId}/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        Assert.Equal(HttpStatusCode.Found, start.StatusCode);
        using var authorize = await GetAsync(start.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, authorize.StatusCode);
        var html = await authorize.Content.ReadAsStringAsync();
        var action = WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value);
        var fields = HiddenField().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        return new PendingCallback(action, fields);
    }

    public Task<HttpResponseMessage> FinishLoginAsync(PendingCallback callback, string? action = null) =>
        SendAsync(HttpMethod.Post, action ?? callback.Action, callback.Fields);

    public async Task<HttpResponseMessage> LoginAsync(string providerId, string returnUrl = "/whoami") =>
        await FinishLoginAsync(await BeginLoginAsync(providerId, returnUrl));

    private void Remember(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return;
        }
        foreach (var header in values)
        {
            var pair = header.Split(';', 2)[0];
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
            if (value.Length == 0 || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
            {
                _cookies.Remove(name);
            }
            else
            {
                _cookies[name] = value;
            }
        }
    }

    [GeneratedRegex("<form[^>]*action=\"([^\"]*)\"")]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenField();

    public void Dispose() => _http.Dispose();
}
