using System.Net;
using System.Net.Http.Headers;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>Bearer options through the real pipeline: required scopes and roles, Keycloak-style typ JWT, token locations.</summary>
public sealed class BearerOptionsTests : BearerTestBase
{
    protected override void ConfigureBearer(OidcRpBearerOptions options)
    {
        options.Audiences.Add("api");
        options.RequiredScopes.Add("api.read");
        options.TokenTypes.Add("JWT"); // as for Keycloak
        options.TokenTypes.Add("at+jwt");
        options.AllowQueryStringToken = true;
        options.TokenHeaders.Add("X-Api-Token");
    }

    [Fact]
    public async Task A_configured_scope_missing_is_403_with_the_scope_named()
    {
        using var response = await CallAsync(Op.CreateAccessToken(scope: "other"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"api.read\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken(scope: "api.read")));
    }

    [Fact]
    public async Task Keycloak_access_tokens_typed_JWT_pass_and_its_id_tokens_do_not()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken(typ: "JWT",
            claims: new Dictionary<string, object?> { ["typ"] = "Bearer", ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "user" } } })));
        var idToken = Op.CreateAccessToken(typ: "JWT", claims: new Dictionary<string, object?> { ["typ"] = "ID", ["aud"] = "api" });
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(idToken));
        var withNonce = Op.CreateAccessToken(typ: "JWT", claims: new Dictionary<string, object?> { ["nonce"] = "n" });
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(withNonce));
        await Rp.FlushAuditAsync();
        Assert.Equal(2, BearerRows.Where(r => r.Reason == OidcRpReasons.IdTokenAsBearer).Sum(r => r.Count));
    }

    [Fact]
    public async Task The_query_string_and_an_extra_header_work_when_enabled_but_never_together()
    {
        using var client = Rp.ApiClient();
        using (var query = await client.GetAsync("/api/me?access_token=" + Op.CreateAccessToken()))
        {
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        }
        using (var header = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            header.Headers.Add("X-Api-Token", Op.CreateAccessToken());
            using var response = await client.SendAsync(header);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var both = new HttpRequestMessage(HttpMethod.Get, "/api/me?access_token=" + Op.CreateAccessToken());
        both.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Op.CreateAccessToken());
        using var refused = await client.SendAsync(both);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("Bearer error=\"invalid_request\"", refused.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task An_opaque_token_is_refused_without_a_fetch_or_a_row()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("2YotnFZFEjr1zCsicMWpAA"));
        Assert.Equal((0, 0), (Op.Count("discovery"), Op.Count("jwks")));
        await Rp.FlushAuditAsync();
        Assert.Empty(Rp.Audit.Rows);
    }
}

/// <summary>Pinned keys: the bearer path never fetches for that provider.</summary>
public sealed class BearerPinnedKeyTests : BearerTestBase
{
    private string? _jwk;

    protected override void ConfigureBearer(OidcRpBearerOptions options)
    {
        options.Audiences.Add("api");
        var pinned = new OidcRpBearerProviderOptions();
        pinned.PinnedKeys.Add(_jwk ??= System.Text.Json.JsonSerializer.Serialize(Op.Signing!.ToJwk()));
        options.Providers["alpha"] = pinned;
    }

    [Fact]
    public async Task Tokens_verify_with_the_pinned_key_and_an_unknown_kid_never_fetches()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken()));
        Op.Rotate("op-key-2", TestOpRotation.KeepOld);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(Op.CreateAccessToken())); // the trade-off: rotations are not followed
        Assert.Equal((0, 0), (Op.Count("discovery"), Op.Count("jwks")));
        await Rp.FlushAuditAsync();
        var row = Assert.Single(BearerRows);
        Assert.Equal((OidcAuditCategories.KidMismatchUnrecovered, OidcRpReasons.KidNotFound, false), (row.Category, row.Reason, row.KeysRefreshed));
    }
}

/// <summary>A revocation lapses when a JWKS fetched after it no longer holds the kid.</summary>
public sealed class BearerRevocationLapseTests : BearerTestBase
{
    [Fact]
    public async Task A_revocation_lapses_once_the_provider_retires_the_key()
    {
        var old = Op.CreateAccessToken();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(old));
        var revocations = (IOidcKeyRevocations)Rp.Services.GetService(typeof(IOidcKeyRevocations))!;
        await revocations.RevokeAsync("alpha", "op-key-1", "alpha:admin", CancellationToken.None);
        Rp.Time.Advance(TimeSpan.FromSeconds(1));
        Op.Rotate("op-key-2", TestOpRotation.DropOld);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(Op.CreateAccessToken())); // the recovery's fetch no longer holds op-key-1

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(old)); // still refused: now an ordinary unknown kid
        for (var i = 0; i < 50 && revocations.GetRevoked("alpha").Count > 0; i++)
        {
            await Task.Delay(20); // the lapse is written off the request path
        }
        Assert.Empty(revocations.GetRevoked("alpha"));
        await Rp.FlushAuditAsync();
        Assert.Contains(Rp.Audit.Rows, r => r.Category == OidcAuditCategories.AdminKeyRevocation && r.Reason == OidcRpReasons.RevocationLapsed && r.Actor == "oidcrp");
    }
}
