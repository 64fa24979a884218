namespace OidcRp.Tests.Unit.Callback;

public sealed class ReturnUrlsTests
{
    [Theory]
    [InlineData("/", true)]
    [InlineData("/profile?tab=1", true)]
    [InlineData("/a?next=%2Fb", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("profile", false)]
    [InlineData("//evil.example", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("/%2F%2Fevil.example", false)]
    [InlineData("/%5cevil.example", false)]
    [InlineData("https://evil.example", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("data:text/html,x", false)]
    [InlineData("/ok\r\nLocation: https://evil.example", false)]
    [InlineData("/tab\there", false)]
    public void Only_paths_on_this_site_are_local(string? url, bool local)
    {
        Assert.Equal(local, ReturnUrls.IsLocal(url));
        Assert.Equal(local ? url : "/", ReturnUrls.LocalOrRoot(url));
    }
}
