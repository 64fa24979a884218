using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Claims from the userinfo endpoint (OIDC Core §5.3), turned on per provider: read once, bounded like every other
/// answer of the OP, its <c>sub</c> checked against the ID token's, signed answers refused, and each failure audited
/// with its own reason and no sign-in.
/// </summary>
public sealed class UserInfoTests : IAsyncLifetime
{
    private TestOp _op = null!;

    public async Task InitializeAsync() => _op = await TestOp.StartAsync();

    public async Task DisposeAsync() => await _op.DisposeAsync();

    private Task<RpApp> StartRpAsync(bool userInfo = true, int? maxResponseBytes = null) =>
        RpApp.StartAsync([_op.As("alpha")], o =>
        {
            o.Providers["alpha"].GetClaimsFromUserInfoEndpoint = userInfo;
            if (maxResponseBytes is { } max)
            {
                o.Keys.MaxResponseBytes = max;
            }
        });

    [Fact]
    public async Task Claims_only_in_userinfo_reach_the_signed_in_user()
    {
        _op.IdTokenFactory = r => r.Signing.Sign(r.Header(), r.Claims()); // no name in the ID token
        _op.UserInfoClaims["name"] = "Alice Example";
        await using var rp = await StartRpAsync();
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(1, _op.Count("userinfo"));
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.LoginSucceeded, "alice"), (row.Category, row.Subject));
        var whoami = await browser.GetAsync("/whoami");
        var user = await whoami.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Alice Example", user.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Userinfo_is_off_by_default()
    {
        _op.IdTokenFactory = r => r.Signing.Sign(r.Header(), r.Claims());
        _op.UserInfoClaims["name"] = "Alice Example";
        await using var rp = await StartRpAsync(userInfo: false);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(0, _op.Count("userinfo"));
        var user = await (await browser.GetAsync("/whoami")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, user.GetProperty("name").ValueKind);
    }

    public static TheoryData<string, string> Failures => new()
    {
        { "sub of another user", OidcRpReasons.UserInfoSubMismatch },
        { "an empty sub", OidcRpReasons.UserInfoSubMismatch },
        { "signed (application/jwt)", OidcRpReasons.UserInfoSignedUnsupported },
        { "larger than MaxResponseBytes", OidcRpReasons.UserInfoFailed },
        { "status 500", OidcRpReasons.UserInfoFailed },
        { "status 401", OidcRpReasons.UserInfoFailed },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_bad_userinfo_answer_refuses_the_sign_in_with_its_reason(string name, string reason)
    {
        const int max = 64 * 1024;
        switch (name)
        {
            case "sub of another user": _op.UserInfoSubject = "mallory"; break;
            case "an empty sub": _op.UserInfoSubject = ""; break;
            case "signed (application/jwt)": _op.UserInfoAsJwt = true; break;
            case "larger than MaxResponseBytes": _op.UserInfoPadding = max + 1; break;
            case "status 500": _op.UserInfoStatus = 500; break;
            default: _op.UserInfoStatus = 401; break;
        }
        await using var rp = await StartRpAsync(maxResponseBytes: max);
        using var browser = rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(rp.Audit.Rows);
        Assert.Equal((OidcAuditCategories.CallbackRejected, reason, OidcAuditOutcomes.Failure), (row.Category, row.Reason, row.Outcome));
        Assert.Null(row.Subject);
        Assert.Equal((1, 1), (_op.Count("token"), _op.Count("userinfo")));
        using var whoami = await browser.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
        Sentinels.AssertNoneOf(Sentinels.Of(_op), Sentinels.Written(rp, browser, response));
    }
}
