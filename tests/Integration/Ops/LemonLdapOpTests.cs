using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>The LemonLDAP::NG fixture itself: what it publishes, and that a rotation leaves exactly the new key.</summary>
[Collection(OpsCollection.Name)]
public sealed class LemonLdapOpTests(OpsFixture ops, ITestOutputHelper output)
{
    [Fact]
    public async Task An_issuer_publishes_its_discovery_and_one_key_and_a_rotation_replaces_that_key()
    {
        var op = ops.Get("lemonldap-ng");
        var clock = Stopwatch.StartNew();
        await using var issuer = await op.StartIssuerAsync("probe", new OpClient(["http://127.0.0.1:1/cb"], ["http://127.0.0.1:1/out"]));
        output.WriteLine($"start-up: {clock.Elapsed.TotalSeconds:0.00} s");
        using var http = new HttpClient();

        var discovery = await http.GetFromJsonAsync<JsonElement>(issuer.Authority + ".well-known/openid-configuration");
        var before = await KidsAsync(http, issuer);
        clock.Restart();
        var kid = await issuer.RotateAsync(RotationMode.DropOld);
        output.WriteLine($"rotation visible: {clock.Elapsed.TotalSeconds:0.00} s");
        var after = await KidsAsync(http, issuer);

        Assert.Equal(issuer.Authority, discovery.GetProperty("issuer").GetString());
        Assert.Contains("form_post", discovery.GetProperty("response_modes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.False(discovery.TryGetProperty("authorization_response_iss_parameter_supported", out _)); // no RFC 9207 iss
        Assert.Single(before);
        Assert.Equal([kid], after);
        Assert.DoesNotContain(before[0], after);
        Assert.Matches("^[A-Za-z0-9./]{10}$", kid);
        Assert.Equal(new OpCounts(3, 2, 0), await issuer.CountsAsync()); // counted at the proxy: this test's reads only (the waits ask nginx directly)
        Assert.False(op.CanRotate(RotationMode.KeepOld));
    }

    private static async Task<List<string>> KidsAsync(HttpClient http, IOpIssuer issuer)
    {
        var discovery = await http.GetFromJsonAsync<JsonElement>(issuer.Authority + ".well-known/openid-configuration");
        var jwks = await http.GetFromJsonAsync<JsonElement>(discovery.GetProperty("jwks_uri").GetString());
        return jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }
}
