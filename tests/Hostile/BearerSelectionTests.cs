using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>One OP registered twice (two clients of one realm): the token's audience picks the registration.</summary>
public sealed class BearerSelectionTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _rp = await RpApp.StartAsync([_op.As("web"), _op.As("mobile")], bearer: b =>
        {
            var web = new OidcRpBearerProviderOptions();
            web.Audiences.Add("web-api");
            var mobile = new OidcRpBearerProviderOptions();
            mobile.Audiences.Add("mobile-api");
            b.Providers["web"] = web;
            b.Providers["mobile"] = mobile;
        });
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, string? Provider)> CallAsync(string token)
    {
        using var client = _rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, null);
        }
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("provider").GetString());
    }

    [Fact]
    public async Task The_audience_chooses_the_registration_and_a_third_audience_is_refused()
    {
        Assert.Equal((HttpStatusCode.OK, "mobile"), await CallAsync(_op.CreateAccessToken(audience: "mobile-api")));
        Assert.Equal((HttpStatusCode.OK, "web"), await CallAsync(_op.CreateAccessToken(audience: "web-api")));
        Assert.Equal((HttpStatusCode.Unauthorized, null), await CallAsync(_op.CreateAccessToken(audience: "other-api")));
    }
}
