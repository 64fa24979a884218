using System.Net;

namespace OidcRp.Tests.Support;

/// <summary>One authorization response on its way back to the RP: the OP's form_post page, or (Query) its redirect.</summary>
public sealed record PendingCallback(string Action, Dictionary<string, string> Fields, bool Query = false)
{
    /// <summary>The callback URL with the fields as its query (a query-mode answer).</summary>
    public string Url(string? action = null) => (action ?? Action) + "?"
        + string.Join('&', Fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));
}

/// <summary>
/// Drives a login the way a browser does, over real HTTP: follows the RP's redirect to the OP, signs in
/// on the OP's login form when there is one, and posts the OP's form_post answer back to the RP. Keeps
/// cookies per origin and path, never follows redirects on its own, and records every RP response body.
/// </summary>
public sealed class BrowserClient(string rpBase) : IDisposable
{
    private const int MaxSteps = 12;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });

    public CookieJar Cookies { get; } = new();

    /// <summary>Every RP response body this browser saw, for secret scans.</summary>
    public List<string> Bodies { get; } = [];

    public string UserAgent { get; set; } = "OidcRpTests/1.0";

    public string Username { get; set; } = "alice";

    public string Password { get; set; } = "alice-password";

    public string RpBase => rpBase;

    /// <summary>How many times this browser typed its credentials into an OP's login form.</summary>
    public int CredentialsSubmitted { get; private set; }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, Dictionary<string, string>? form = null)
    {
        var uri = new Uri(url.StartsWith('/') ? rpBase + url : url);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.UserAgent.ParseAdd(UserAgent);
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }
        if (Cookies.Header(uri) is { } cookie)
        {
            request.Headers.Add("Cookie", cookie);
        }
        var response = await _http.SendAsync(request);
        Cookies.Remember(uri, response);
        if (uri.GetLeftPart(UriPartial.Authority) == rpBase)
        {
            Bodies.Add(await response.Content.ReadAsStringAsync());
        }
        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string url) => SendAsync(HttpMethod.Get, url);

    /// <summary>Starts a login at the RP and walks the OP until its answer to the RP is in hand.</summary>
    public async Task<PendingCallback> BeginLoginAsync(string providerId, string returnUrl = "/whoami")
    {
        var current = new Uri($"{rpBase}/auth/oidc/{providerId}/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        var response = await SendAsync(HttpMethod.Get, current.AbsoluteUri);
        for (var step = 0; step < MaxSteps; step++)
        {
            var status = response.StatusCode;
            var location = response.Headers.Location;
            var html = await response.Content.ReadAsStringAsync();
            response.Dispose();
            if ((int)status is >= 300 and < 400)
            {
                var target = new Uri(current, location!);
                if (target.GetLeftPart(UriPartial.Authority) == rpBase && Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(target.Query) is { } query
                    && query.ContainsKey("state"))
                {
                    // The OP's answer in the URL (response_mode=query): held, like a form_post page, until FinishLoginAsync.
                    return new PendingCallback(target.GetLeftPart(UriPartial.Path), query.ToDictionary(q => q.Key, q => q.Value.ToString()), Query: true);
                }
                current = target;
                response = await SendAsync(HttpMethod.Get, current.AbsoluteUri);
                continue;
            }
            if (status != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"Login stopped at {current} with {(int)status}: {Snippet(html)}");
            }
            var forms = HtmlForms.Parse(html);
            var form = forms.FirstOrDefault(f => f.Id == "kc-form-login") ?? forms.FirstOrDefault()
                ?? throw new InvalidOperationException($"No form at {current}: {Snippet(html)}");
            var action = new Uri(current, form.Action);
            if (action.GetLeftPart(UriPartial.Authority) == rpBase)
            {
                return new PendingCallback(action.AbsoluteUri, form.Fields);
            }
            // A login page at the OP: fill in the credentials and submit.
            var fields = form.Submission();
            foreach (var name in new[] { "username", "login", "user" }.Where(form.Fields.ContainsKey))
            {
                fields[name] = Username;
            }
            if (form.Fields.ContainsKey("password"))
            {
                fields["password"] = Password;
                CredentialsSubmitted++;
            }
            current = action;
            response = await SendAsync(HttpMethod.Post, action.AbsoluteUri, fields);
        }
        response.Dispose();
        throw new InvalidOperationException("Login did not come back to the RP.");
    }

    public Task<HttpResponseMessage> FinishLoginAsync(PendingCallback callback, string? action = null) =>
        callback.Query
            ? SendAsync(HttpMethod.Get, callback.Url(action))
            : SendAsync(HttpMethod.Post, action ?? callback.Action, callback.Fields);

    public async Task<HttpResponseMessage> LoginAsync(string providerId, string returnUrl = "/whoami") =>
        await FinishLoginAsync(await BeginLoginAsync(providerId, returnUrl));

    /// <summary>
    /// Signs out at the RP and walks the OP's logout (confirming it where the OP asks) until the RP's
    /// last answer: a redirect to a local URL, or a page.
    /// </summary>
    public async Task<HttpResponseMessage> LogoutAsync(string returnUrl = "/")
    {
        var current = new Uri($"{rpBase}/auth/oidc/logout?returnUrl={Uri.EscapeDataString(returnUrl)}");
        var response = await SendAsync(HttpMethod.Post, current.AbsoluteUri);
        for (var step = 0; step < MaxSteps; step++)
        {
            var location = response.Headers.Location is { } l ? new Uri(current, l) : null;
            var atRp = current.GetLeftPart(UriPartial.Authority) == rpBase;
            if (atRp && (location is null || location.GetLeftPart(UriPartial.Authority) == rpBase && !location.AbsolutePath.StartsWith("/auth/oidc/", StringComparison.Ordinal)))
            {
                return response;
            }
            if (location is not null)
            {
                response.Dispose();
                current = location;
                response = await SendAsync(HttpMethod.Get, current.AbsoluteUri);
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            response.Dispose();
            var form = HtmlForms.Parse(html).FirstOrDefault()
                ?? throw new InvalidOperationException($"Logout stopped at {current}: {Snippet(html)}");
            current = new Uri(current, form.Action);
            response = await SendAsync(HttpMethod.Post, current.AbsoluteUri, form.Submission());
        }
        response.Dispose();
        throw new InvalidOperationException("Logout did not come back to the RP.");
    }

    private static string Snippet(string html) => html.Length > 300 ? html[..300] : html;

    public void Dispose() => _http.Dispose();
}
