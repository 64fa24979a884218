using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The return URL is kept in the protected state of the flow and must be a local path: every form of
/// "somewhere else" lands on <c>/</c> after a full login through the real pipeline.
/// </summary>
public sealed class ReturnUrlTests : OneProviderTest
{
    public static TheoryData<string> Hostile => new(
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/%2F%2Fevil.example/",
        "/%5Cevil.example/",
        "/%2fevil.example/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/\tevil",
        "/\r\nLocation: https://evil.example/",
        "http:evil.example",
        " //evil.example",
        "evil.example");

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_non_local_return_url_lands_on_the_root(string returnUrl)
    {
        using var browser = Rp.Browser();

        using var response = await browser.LoginAsync("alpha", returnUrl);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, Assert.Single(Rp.Audit.Rows).Category);
        Assert.Equal(1, Op.Count("jwks"));
        Sentinels.AssertNoneOf(Sentinels.Of(Op), Sentinels.Written(Rp, browser, response));
    }

    [Fact]
    public async Task A_local_return_url_with_a_query_is_kept()
    {
        using var browser = Rp.Browser();

        using var response = await browser.LoginAsync("alpha", "/whoami?tab=keys&x=%2F");

        Assert.Equal("/whoami?tab=keys&x=%2F", response.Headers.Location?.OriginalString);
    }
}
