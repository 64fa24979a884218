using System.Net;
using System.Net.Http.Headers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>Bearer tokens of a multi-tenant provider (Entra ID <c>common</c> shape): found through its issuer template, tenant rules applied.</summary>
public sealed class BearerEntraTests : IAsyncLifetime
{
    private const string TenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private const string TenantB = "0b2d3f8c-1c4e-4a52-9a3e-5e4d0c6b7a11";
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _op.PublishIssuerTemplate = true;
        _op.Tenant = TenantA;
        _rp = await RpApp.StartAsync([_op.As("entra")], o =>
        {
            o.Providers["entra"].IssuerTemplate = _op.TemplateIssuer;
            o.Providers["entra"].AllowedTenants.Add(TenantA);
        }, bearer: b => b.Audiences.Add("api"));
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    private async Task<HttpStatusCode> CallAsync(string token)
    {
        using var client = _rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task An_allowed_tenant_passes_and_another_tenant_is_refused_without_a_fetch()
    {
        Assert.Equal(HttpStatusCode.OK, await CallAsync(_op.CreateAccessToken()));
        var jwks = _op.Count("jwks");

        _op.Tenant = TenantB;
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(_op.CreateAccessToken()));
        // A token naming tenant A in iss but carrying tenant B's tid: the template with the token's own tid decides.
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(_op.CreateAccessToken(claims: new Dictionary<string, object?> { ["iss"] = _op.TenantIssuer(TenantA) })));
        Assert.Equal(jwks, _op.Count("jwks"));
    }
}
