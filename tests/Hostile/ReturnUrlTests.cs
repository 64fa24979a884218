using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The return URL is kept in the protected state of the flow and must be a local path: every form of
/// "somewhere else" lands on <c>/</c> after a full login through the real pipeline.
/// </summary>
public sealed class ReturnUrlTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("alpha")]);
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

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
        using var browser = _rp.Browser();

        using var response = await browser.LoginAsync("alpha", returnUrl);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        Assert.Equal(OidcAuditCategories.LoginSucceeded, Assert.Single(_rp.Audit.Rows).Category);
        Assert.Equal(1, _op.Count("jwks"));
        Sentinels.AssertNoneOf(Sentinels.Of(_op), Sentinels.Written(_rp, browser, response));
    }

    [Fact]
    public async Task A_local_return_url_with_a_query_is_kept()
    {
        using var browser = _rp.Browser();

        using var response = await browser.LoginAsync("alpha", "/whoami?tab=keys&x=%2F");

        Assert.Equal("/whoami?tab=keys&x=%2F", response.Headers.Location?.OriginalString);
    }
}
