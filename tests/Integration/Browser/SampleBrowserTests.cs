using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Samples.MvcApp;
using OidcRp.Tests.Integration.Samples;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace OidcRp.Tests.Integration.Browser;

/// <summary>
/// The sample as a person uses it, in a real Chromium: the app and its embedded development OP run
/// in-process on 127.0.0.1 exactly as <c>dotnet run --project samples/MvcApp</c> starts them.
/// Screenshots of every step land in TestResults/browser.
/// </summary>
public sealed class SampleBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SampleHost _host = null!;
    private WebApplication _app = null!;
    private string _base = "";
    private EmbeddedDevOp _devOp = null!;

    public async Task InitializeAsync()
    {
        _host = await SampleHost.StartAsync("sample", providerStore: true);
        _app = _host.App;
        _base = _host.BaseUrl;
        _devOp = _host.DevOp;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public void Sign_in_through_both_providers_rotate_a_key_sign_in_again_and_see_the_recovery_on_the_admin_page()
    {
        var alpha = _devOp.Issuers["alpha"];
        using (var browser = new Chromium("sample-1-first-visit"))
        {
            try
            {
                browser.Go(_base + "/");
                browser.Screenshot("start");
                SignIn(browser, "alpha", "alice");
                Assert.Equal("alpha", browser.Text("#provider"));
                Assert.Contains("Alice Tester", browser.Text("h1"), StringComparison.Ordinal);

                browser.Click("sign-out"); // RP-initiated logout at the OP, and back
                browser.WaitForPath("/");
                browser.Screenshot("signed-out");
                Assert.Empty(browser.Driver.FindElements(By.Id("signed-in-as")));

                SignIn(browser, "beta", "bob");
                Assert.Equal("beta", browser.Text("#provider"));

                // The development OP's control: alpha signs with a new key and stops publishing the old one.
                browser.Go(_base + "/dev");
                browser.Click("rotate-alpha-DropOld");
                browser.WaitForPath("/dev");
                browser.Screenshot("alpha-rotated");
                Assert.Contains("alpha: DropOld", browser.Text("#message"), StringComparison.Ordinal);
            }
            finally
            {
                Report(browser);
            }
        }

        var jwksBefore = alpha.Counts.Jwks;
        using (var browser = new Chromium("sample-2-after-rotation"))
        {
            try
            {
                SignIn(browser, "alpha", "admin"); // the first login carrying the new key
                Assert.Equal("alpha", browser.Text("#provider"));
                Assert.Equal(jwksBefore + 1, alpha.Counts.Jwks);

                // The rows come from the sample's SQLite audit store, written in the background: reload until there.
                var rows = new List<string>();
                for (var attempt = 0; attempt < 50 && rows.Count == 0; attempt++)
                {
                    browser.Go(_base + "/admin");
                    rows = browser.Driver.FindElements(By.CssSelector("#audit tr.recovered td.category")).Select(e => e.Text).ToList();
                }
                browser.Screenshot("admin");
                Assert.Equal(["kid_mismatch_recovered"], rows);

                browser.Click("refresh-alpha");
                browser.WaitForPath("/admin");
                browser.Screenshot("refreshed");
                Assert.StartsWith("Refreshed 'alpha'", browser.Text("#message"), StringComparison.Ordinal);
                Assert.Equal(jwksBefore + 2, alpha.Counts.Jwks);
                var categories = new List<string>();
                for (var attempt = 0; attempt < 50 && !categories.Contains("admin_refresh"); attempt++)
                {
                    browser.Go(_base + "/admin?provider=alpha");
                    categories = browser.Driver.FindElements(By.CssSelector("#audit td.category")).Select(e => e.Text).ToList();
                }
                // Each of alpha's three fetches (first load, the kid miss, the refresh) wrote a keys_fetched row before the row it served.
                Assert.Equal(["admin_refresh", "kid_mismatch_recovered", "login_succeeded"], categories.Where(c => c != "keys_fetched"));
                Assert.Equal(3, categories.Count(c => c == "keys_fetched"));
                // alice, bob, admin, refresh, and four fetches (alpha: first load, kid miss, refresh; beta: first load)
                Assert.Equal(8, _app.Services.GetRequiredService<OidcRp.Audit.Sql.SqlAuditStore>().Statistics.Written);
            }
            finally
            {
                Report(browser);
            }
        }
    }

    [Fact]
    public void A_plain_user_cannot_open_the_admin_page()
    {
        using var browser = new Chromium("sample-3-not-admin");
        try
        {
            SignIn(browser, "beta", "alice");
            browser.Go(_base + "/admin");
            browser.WaitForPath("/home/denied");
            browser.Screenshot("denied");
            Assert.Equal("Not allowed", browser.Text("h1"));
        }
        finally
        {
            Report(browser);
        }
    }

    [Fact]
    public async Task In_development_the_admin_adds_a_provider_through_the_sqlite_store_and_the_list_shows_where_each_came_from()
    {
        var alpha = _devOp.Issuers["alpha"];
        using var browser = new Chromium("sample-4-add-provider");
        try
        {
            SignIn(browser, "alpha", "admin");
            browser.Go(_base + "/admin");
            Assert.Equal("configuration", browser.Text("#provider-alpha td.source").Split('\n')[0].Trim());

            browser.Type("Id", "providers"); // a reserved id: refused with the reason, nothing stored
            browser.Type("Authority", alpha.Issuer);
            browser.Type("ClientId", "mvcapp-gamma");
            Submit(browser);
            Assert.StartsWith("Not added:", browser.Text("#message"), StringComparison.Ordinal);
            Assert.Contains("reserved", browser.Text("#message"), StringComparison.Ordinal);

            browser.Type("Id", "gamma");
            browser.Type("DisplayName", "Gamma (stored)");
            browser.Type("Authority", alpha.Issuer);
            browser.Type("ClientId", "mvcapp-gamma");
            browser.Type("ClientSecret", "gamma-secret-never-shown");
            browser.Click("new-allow-http");
            Submit(browser);
            browser.Screenshot("added");

            Assert.StartsWith("Added 'gamma'", browser.Text("#message"), StringComparison.Ordinal);
            Assert.Equal("store", browser.Text("#provider-gamma td.source").Split('\n')[0].Trim());
            Assert.Equal("configuration", browser.Text("#provider-beta td.source").Split('\n')[0].Trim());
            Assert.DoesNotContain("gamma-secret-never-shown", browser.Driver.PageSource, StringComparison.Ordinal);
            var stored = await _app.Services.GetRequiredService<OidcRp.Providers.Sql.SqlOidcProviderStore>()
                .FindByIdAsync("gamma", CancellationToken.None);
            Assert.Equal(("Gamma (stored)", "gamma-secret-never-shown"), (stored!.Options.DisplayName, stored.Options.ClientSecret));
        }
        finally
        {
            Report(browser);
        }
    }

    /// <summary>Posts the add-provider form and waits for the page after the redirect (the path stays /admin, so wait for the old page to go).</summary>
    private static void Submit(Chromium browser)
    {
        var form = browser.Driver.FindElement(By.Id("add-provider"));
        browser.Click("add-provider-submit");
        new OpenQA.Selenium.Support.UI.WebDriverWait(browser.Driver, TimeSpan.FromSeconds(30)).Until(driver =>
        {
            try
            {
                _ = form.Displayed; // still the page the form was on
                return false;
            }
            catch (StaleElementReferenceException)
            {
                return true;
            }
        });
        browser.WaitForPath("/admin");
    }

    private void SignIn(Chromium browser, string provider, string user)
    {
        browser.Go(_base + "/");
        browser.Click($"sign-in-{provider}");
        browser.WaitForPath("/account/login");
        browser.Screenshot($"{provider}-login-page");
        browser.Type("username", user);
        browser.Type("password", user + "-password");
        browser.Click("sign-in");
        browser.WaitForPath("/home/profile");
        browser.Screenshot($"{provider}-profile-{user}");
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
