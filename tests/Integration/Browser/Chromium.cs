using System.Reflection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace OidcRp.Tests.Integration.Browser;

/// <summary>
/// Debian's Chromium driven through chromedriver (packages <c>chromium</c> and <c>chromium-driver</c>),
/// headless, one fresh profile per instance. Never a downloaded browser, never skipped: without the
/// packages the test fails and says which to install.
/// </summary>
public sealed class Chromium : IDisposable
{
    public const string BrowserPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";
    private readonly string _artifacts;
    private readonly string _test;
    private int _step;

    public Chromium(string test)
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException(
                $"The browser test needs Debian's Chromium ({BrowserPath}) and its driver ({DriverPath}): apt-get install chromium chromium-driver (scripts/test.sh does).");
        }
        _test = test;
        _artifacts = Path.GetFullPath(typeof(Chromium).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BrowserArtifactsDirectory").Value!);
        Directory.CreateDirectory(_artifacts);
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
    }

    public ChromeDriver Driver { get; }

    /// <summary>Every screenshot written so far, in step order.</summary>
    public List<string> Screenshots { get; } = [];

    public void Go(string url) => Driver.Navigate().GoToUrl(url);

    public void Click(string id) => Driver.FindElement(By.Id(id)).Click();

    public void Type(string name, string text)
    {
        var field = Driver.FindElement(By.Name(name));
        field.Clear();
        field.SendKeys(text);
    }

    public string Text(string cssSelector) => Driver.FindElement(By.CssSelector(cssSelector)).Text;

    /// <summary>Waits until the page's path is <paramref name="path"/> (the browser followed every redirect and form_post).</summary>
    public void WaitForPath(string path, int seconds = 20) =>
        new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)).Until(d => new Uri(d.Url).AbsolutePath == path);

    /// <summary>Saves a PNG of the page as it is now, named after the test and the step.</summary>
    public string Screenshot(string step)
    {
        var file = Path.Combine(_artifacts, $"{_test}-{++_step:00}-{step}.png");
        Driver.GetScreenshot().SaveAsFile(file);
        Screenshots.Add(file);
        return file;
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
