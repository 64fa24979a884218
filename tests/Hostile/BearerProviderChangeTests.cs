using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Bearer tokens follow providers that change at run time: the API's index of issuers holds the provider versions in
/// place, so a reload that adds a provider or moves one to another OP is seen by the next API call.
/// </summary>
public sealed class BearerProviderChangeTests : IAsyncLifetime
{
    private TestOp _first = null!;
    private TestOp _second = null!;
    private RpApp _rp = null!;
    private readonly MutableConfiguration _source = new();

    public async Task InitializeAsync()
    {
        _first = await TestOp.StartAsync();
        _second = await TestOp.StartAsync();
        _source.Merge(Provider("beta", _first));
        var config = new ConfigurationBuilder().Add(_source).Build();
        _rp = await RpApp.StartAsync([_first.As("alpha")],
            services: s => s.Configure<OidcRpOptions>(config.GetSection("OidcRp")),
            bearer: o => o.Audiences.Add("api"));
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    private static Dictionary<string, string?> Provider(string id, TestOp op) => new()
    {
        [$"OidcRp:Providers:{id}:Authority"] = op.Issuer,
        [$"OidcRp:Providers:{id}:ClientId"] = op.ClientId,
        [$"OidcRp:Providers:{id}:ClientSecret"] = op.Secret,
        [$"OidcRp:Providers:{id}:RequireHttpsMetadata"] = "false",
    };

    private async Task<HttpStatusCode> CallAsync(string token)
    {
        using var client = _rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_provider_added_by_a_reload_serves_bearer_tokens_at_once()
    {
        // The index is built by the first call, before the second OP is a provider.
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(_second.CreateAccessToken()));

        _source.Merge(Provider("gamma", _second));

        Assert.Equal(HttpStatusCode.OK, await CallAsync(_second.CreateAccessToken()));
    }

    [Fact]
    public async Task A_provider_removed_by_a_reload_no_longer_serves_bearer_tokens()
    {
        _source.Merge(Provider("gamma", _second));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(_second.CreateAccessToken()));

        _source.Remove("OidcRp:Providers:gamma:");

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(_second.CreateAccessToken()));
        Assert.Null(_rp.Services.GetRequiredService<IOidcProviders>().GetStatus("gamma"));
    }
}
