using System.Net;
using System.Net.Http.Headers;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>A test OP and an RP app with the OP as provider "alpha" for logins and bearer tokens (audience <c>api</c>).</summary>
public abstract class BearerTestBase : IAsyncLifetime
{
    protected TestOp Op { get; private set; } = null!;

    protected RpApp Rp { get; private set; } = null!;

    protected virtual void ConfigureBearer(OidcRpBearerOptions options) => options.Audiences.Add("api");

    protected virtual void Configure(OidcRpOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Op = await TestOp.StartAsync();
        Rp = await RpApp.StartAsync([Op.As("alpha")], Configure, bearer: ConfigureBearer);
    }

    public async Task DisposeAsync()
    {
        await Rp.DisposeAsync();
        await Op.DisposeAsync();
    }

    protected async Task<HttpResponseMessage> CallAsync(string? token, string path = "/api/me", HttpMethod? method = null)
    {
        using var client = Rp.ApiClient();
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await client.SendAsync(request);
    }

    protected async Task<HttpStatusCode> StatusAsync(string? token, string path = "/api/me", HttpMethod? method = null)
    {
        using var response = await CallAsync(token, path, method);
        return response.StatusCode;
    }

    /// <summary>A browser signed in as the admin user (subject "admin"), audit rows of the sign-in cleared.</summary>
    protected async Task<BrowserClient> SignedInAdminAsync()
    {
        Op.NextSubject = "admin";
        var admin = Rp.Browser();
        using (var login = await admin.LoginAsync("alpha"))
        {
            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
        }
        Op.NextSubject = "alice";
        Rp.Audit.Clear();
        return admin;
    }

    /// <summary>POSTs a JSON body with the browser's cookies (the admin endpoints take <c>{"kid": "…"}</c>).</summary>
    protected static async Task<(HttpStatusCode Status, string Body)> PostJsonAsync(BrowserClient browser, string url, string json)
    {
        var uri = new Uri(browser.RpBase + url);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (browser.Cookies.Header(uri) is { } cookie)
        {
            request.Headers.Add("Cookie", cookie);
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    protected IEnumerable<OidcAuditRecord> BearerRows => Rp.Audit.Rows.Where(r => r.Path == OidcAuditPaths.Bearer);
}
