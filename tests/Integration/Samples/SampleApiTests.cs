using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Samples.MvcApp;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Samples;

/// <summary>
/// The MvcApp sample's API as <c>dotnet run</c> starts it (Development, the embedded development OP): a service's
/// client-credentials token is accepted, a forged kid refused, and a signed-in user's saved access token (Development
/// sets <c>Sample:Api:SaveTokens</c>) reaches the same API through the profile page's button.
/// </summary>
public sealed class SampleApiTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private SampleHost _host = null!;
    private WebApplication _app = null!;
    private string _base = "";
    private EmbeddedDevOp _devOp = null!;

    public async Task InitializeAsync()
    {
        _host = await SampleHost.StartAsync("sample-api", providerStore: false);
        _app = _host.App;
        _base = _host.BaseUrl;
        _devOp = _host.DevOp;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Api_accepts_a_client_credentials_token_and_refuses_a_forged_kid()
    {
        var alpha = _devOp.Issuers["alpha"];
        var token = await AccessTokens.ClientCredentialsAsync($"{alpha.Issuer}connect/token", alpha.Options.ClientId, alpha.Options.ClientSecret,
            ("scope", alpha.Options.ApiScope));

        using var accepted = await CallAsync(token);
        using var forged = await CallAsync(Scenarios.BearerApi.ForgedKid(token));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var caller = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("alpha", alpha.Options.ClientId), (caller.GetProperty("provider").GetString(), caller.GetProperty("subject").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", forged.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Signed_in_user_calls_the_api_with_the_saved_access_token()
    {
        using var browser = new BrowserClient(_base) { Username = "alice", Password = "alice-password" };
        using var login = await browser.LoginAsync("beta", "/home/profile");
        Assert.True(login.StatusCode == HttpStatusCode.Found, $"login: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        using var profile = await browser.GetAsync("/home/profile");
        var form = HtmlForms.Parse(await profile.Content.ReadAsStringAsync()).Single(f => f.Action == "/home/callapi");

        using var answer = await browser.SendAsync(HttpMethod.Post, "/home/callapi", form.Submission());

        var page = await answer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var result = page[Math.Max(0, page.IndexOf("<h2>API", StringComparison.Ordinal))..];
        Assert.True(result.Contains("id=\"api-result\">200 ", StringComparison.Ordinal), result);
        Assert.Contains("&quot;provider&quot;:&quot;beta&quot;,&quot;subject&quot;:&quot;alice&quot;", page, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> CallAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _base + SampleApi.Path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }
}
