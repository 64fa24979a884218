using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Samples.MvcApp;
using OidcRp.Tests.Integration.Samples;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace OidcRp.Tests.Integration.Browser;

/// <summary>
/// The operator's view (<c>/admin/operator</c>) in a real Chromium, on the sample and its embedded development OP: a key
/// rotation at the OP and the login that recovers it, then a burst of bearer tokens naming kids the OP never published.
/// The page's DOM must show the rotation marker on the right provider, the recovered and forgery-shaped counts the test
/// drove, and the bearer budget spent. Screenshots of both moments land in TestResults/browser (paths printed).
/// </summary>
public sealed class OperatorViewBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Burst = 12;
    private SampleHost _host = null!;
    private WebApplication _app = null!;
    private string _base = "";
    private EmbeddedDevOp _devOp = null!;

    public async Task InitializeAsync()
    {
        _host = await SampleHost.StartAsync("operator", providerStore: true,
            // The budget's window outlasts the test, so the spent budget the page shows is the burst's, however slow the machine.
            "--OidcRp:Keys:KidMissWindow", "00:30:00",
            // Aggregated rows (the burst is flood-shaped) are written when their window closes: close them soon.
            "--OidcRp:Audit:AggregationWindow", "00:00:02");
        _app = _host.App;
        _base = _host.BaseUrl;
        _devOp = _host.DevOp;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_operator_view_shows_the_rotation_the_recovery_the_forged_kid_burst_and_the_spent_bearer_budget()
    {
        var alpha = _devOp.Issuers["alpha"];
        var budget = new OidcKeyPolicyOptions().BearerKidMissBudget;
        using var browser = new Chromium("operator-view");
        browser.Driver.Manage().Window.Size = new System.Drawing.Size(1280, 2000); // both providers in one screenshot
        try
        {
            SignIn(browser, "alpha", "alice");
            SignOut(browser);
            SignIn(browser, "beta", "bob");
            SignOut(browser);
            browser.Go(_base + "/dev");
            browser.Click("rotate-alpha-DropOld"); // alpha signs with a new key and stops publishing the old one
            browser.WaitForPath("/dev");

            var rotatedFrom = DateTimeOffset.UtcNow;
            var jwks = alpha.Counts.Jwks;
            SignIn(browser, "alpha", "admin"); // the first login with the new key: one fetch, recovered
            var rotatedTo = DateTimeOffset.UtcNow;
            Assert.Equal(jwks + 1, alpha.Counts.Jwks);

            // The SQLite store writes in the background: reload until the recovery is there.
            OpenView(browser, d => d.FindElements(By.CssSelector("#op-alpha .totals li[data-category='kid_mismatch_recovered'][data-count='1']")).Count == 1);
            var shot = browser.Screenshot("after-rotation");
            output.WriteLine($"after the rotation: {shot}");
            var rotation = Assert.Single(browser.Driver.FindElements(By.CssSelector("#op-alpha g[data-rotation]")));
            Assert.Empty(browser.Driver.FindElements(By.CssSelector("#op-beta g[data-rotation]")));
            Assert.Equal(("alpha", "fetch_kid_miss_login"), (rotation.GetAttribute("data-provider"), rotation.GetAttribute("data-trigger")));
            var at = DateTimeOffset.Parse(rotation.GetAttribute("data-time")!, CultureInfo.InvariantCulture);
            Assert.InRange(at, rotatedFrom.AddMilliseconds(-1), rotatedTo.AddMilliseconds(1));
            Assert.Equal("1", Attr(browser, "#op-alpha [data-summary='rotations']", "data-count"));
            Assert.Equal("0", Attr(browser, "#op-alpha [data-summary='forgery-shaped']", "data-count"));
            Assert.Equal(["fetch_initial", "fetch_kid_miss_login"], Triggers(browser, "alpha"));
            Assert.Equal(["fetch_initial"], Triggers(browser, "beta"));
            Assert.Equal(("0", "3"), (Attr(browser, "#op-alpha .budget[data-path='login']", "data-spent"),
                Attr(browser, "#op-alpha .budget[data-path='login']", "data-budget"))); // a genuine rotation gives its draw back

            // The burst: API calls with bearer tokens that pass every key-free check but name kids alpha never published.
            var genuine = await ClientCredentialsTokenAsync(alpha);
            using var forger = RSA.Create(2048);
            using var api = new HttpClient();
            jwks = alpha.Counts.Jwks;
            for (var i = 0; i < Burst; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _base + SampleApi.Path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Forge(genuine, $"forged-{i:00}", forger));
                using var response = await api.SendAsync(request);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
            Assert.Equal(jwks + budget, alpha.Counts.Jwks); // the OP saw the bearer budget, no more

            OpenView(browser, d => d.FindElements(By.CssSelector($"#op-alpha [data-summary='forgery-shaped'][data-count='{Burst}']")).Count == 1);
            shot = browser.Screenshot("after-burst");
            output.WriteLine($"after the burst: {shot}");
            Assert.Equal(Burst.ToString(CultureInfo.InvariantCulture), Attr(browser, "#op-alpha [data-summary='forgery-shaped']", "data-count"));
            Assert.Equal(budget.ToString(CultureInfo.InvariantCulture), Attr(browser, "#op-alpha .totals li[data-category='kid_mismatch_unrecovered']", "data-count"));
            Assert.Equal((Burst - budget).ToString(CultureInfo.InvariantCulture), Attr(browser, "#op-alpha .totals li[data-category='kid_mismatch_throttled']", "data-count"));
            Assert.Equal("1", Attr(browser, "#op-alpha .totals li[data-category='kid_mismatch_recovered']", "data-count"));
            Assert.Equal("1", Attr(browser, "#op-alpha .totals li[data-category='login_succeeded']", "data-count"));
            Assert.Equal((Burst - budget).ToString(CultureInfo.InvariantCulture), Attr(browser, "#op-alpha .budget-refused", "data-count"));
            var bearer = browser.Driver.FindElement(By.CssSelector("#op-alpha .budget[data-path='bearer']"));
            Assert.Equal((budget, budget, budget), (int.Parse(bearer.GetAttribute("data-spent")!, CultureInfo.InvariantCulture),
                int.Parse(bearer.GetAttribute("data-budget")!, CultureInfo.InvariantCulture), int.Parse(bearer.GetAttribute("data-fetches")!, CultureInfo.InvariantCulture)));
            Assert.Contains($"{budget} of {budget} spent", bearer.Text, StringComparison.Ordinal);
            Assert.Equal(["fetch_initial", "fetch_kid_miss_login", .. Enumerable.Repeat("fetch_kid_miss_bearer", budget)], Triggers(browser, "alpha"));
            Assert.Single(browser.Driver.FindElements(By.CssSelector("#op-alpha g[data-rotation]"))); // the burst changed no key set
            Assert.Equal("0", Attr(browser, "#op-beta [data-summary='forgery-shaped']", "data-count"));
            Assert.Equal("healthy", Attr(browser, "#op-alpha [data-health]", "data-health"));
            // Server-drawn: no script at all, nothing loaded from another origin.
            Assert.Empty(browser.Driver.FindElements(By.TagName("script")));
            Assert.DoesNotContain("http", string.Join(" ", browser.Driver.FindElements(By.CssSelector("link, img, use")).Select(e => e.GetAttribute("href") + e.GetAttribute("src"))), StringComparison.Ordinal);
        }
        finally
        {
            Report(browser);
        }
    }

    private void OpenView(Chromium browser, Func<IWebDriver, bool> ready)
    {
        for (var attempt = 0; attempt < 120; attempt++)
        {
            browser.Go(_base + "/admin/operator"); // the default window: zoomed to the rows of the last 24 hours
            if (ready(browser.Driver))
            {
                return;
            }
            Thread.Sleep(250); // the store's writer and the aggregation window run on their own; no assertion on how long they take
        }
        browser.Screenshot("never-ready");
        Assert.Fail("the operator view never showed what the test drove: " + browser.Driver.FindElement(By.TagName("main")).Text);
    }

    private static string? Attr(Chromium browser, string css, string name) => browser.Driver.FindElement(By.CssSelector(css)).GetAttribute(name);

    private static List<string> Triggers(Chromium browser, string provider) =>
        browser.Driver.FindElements(By.CssSelector($"#op-{provider} g[data-fetch]"))
            .Select(e => (Time: e.GetAttribute("data-time")!, Trigger: e.GetAttribute("data-trigger")!))
            .OrderBy(f => f.Time, StringComparer.Ordinal).Select(f => f.Trigger).ToList();

    /// <summary>A real access token of alpha for the sample's API (client credentials), whose claims the forged tokens reuse.</summary>
    private static async Task<string> ClientCredentialsTokenAsync(global::OidcRp.Samples.DevOp.DevOpServer alpha)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, alpha.Issuer + "connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = alpha.Options.ApiScope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(alpha.Options.ClientId)}:{Uri.EscapeDataString(alpha.Options.ClientSecret)}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    /// <summary>The genuine token's claims under a header naming <paramref name="kid"/>, signed with a key the OP never had.</summary>
    private static string Forge(string token, string kid, RSA key)
    {
        var parts = token.Split('.');
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        header.Remove("x5t");
        header["alg"] = "RS256";
        header["kid"] = kid;
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + parts[1];
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64Url.EncodeToString(signature);
    }

    private void SignIn(Chromium browser, string provider, string user)
    {
        browser.Go(_base + "/");
        browser.Click($"sign-in-{provider}");
        browser.WaitForPath("/account/login");
        browser.Type("username", user);
        browser.Type("password", user + "-password");
        browser.Click("sign-in");
        browser.WaitForPath("/home/profile");
    }

    private static void SignOut(Chromium browser)
    {
        browser.Click("sign-out"); // RP-initiated logout at the OP, and back
        browser.WaitForPath("/");
    }

    private void Report(Chromium browser)
    {
        output.WriteLine($"last page: {browser.Driver.Url} \"{browser.Driver.Title}\"");
        browser.Screenshot("last");
        foreach (var file in browser.Screenshots)
        {
            output.WriteLine($"screenshot: {file}");
        }
    }
}
