using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>
/// The OP contract's access tokens: each OP that issues JWT access tokens signs them with the keys of the JWKS its
/// logins use, before and after a rotation, so every rotation scenario applies to the login and the bearer path alike.
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class AccessTokenScenarios(OpsFixture ops)
{
    private static readonly HttpClient Http = new();

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task Access_tokens_are_JWTs_signed_with_the_login_JWKS_before_and_after_a_rotation(string op)
    {
        var fixture = ops.GetIssuingAccessTokens(op, RotationMode.DropOld);
        await using var s = await Scenario.StartAsync(fixture, "alpha");
        await Expect.SignedIn(s.LoginAsync("alpha"));
        var loginKid = s.Rows[^1].Kid;

        var before = await VerifiedAsync(s["alpha"], await s["alpha"].ClientCredentialsTokenAsync());
        Assert.Equal(loginKid, before.Kid);

        var kid = await s["alpha"].RotateAsync(RotationMode.DropOld);
        var after = await VerifiedAsync(s["alpha"], await s["alpha"].ClientCredentialsTokenAsync());
        Assert.Equal(kid, after.Kid);
        await Expect.SignedIn(s.LoginAsync("alpha"));
        Assert.Equal((OidcAuditCategories.KidMismatchRecovered, kid), (s.Rows[^1].Category, s.Rows[^1].Kid));
        s.Ran();
    }

    /// <summary>Checks the token as any API would, with the OP's published JWKS (fetched here, beside the RP).</summary>
    private static async Task<JsonWebToken> VerifiedAsync(IOpIssuer issuer, string token)
    {
        var discovery = await Http.GetFromJsonAsync<JsonElement>(issuer.Authority.TrimEnd('/') + "/.well-known/openid-configuration");
        var jwks = new JsonWebKeySet(await Http.GetStringAsync(discovery.GetProperty("jwks_uri").GetString()));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = discovery.GetProperty("issuer").GetString(),
            ValidAudience = issuer.ApiAudience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidTypes = ["at+jwt", "JWT", "at+JWT"],
        });
        Assert.True(result.IsValid, $"{issuer.Authority}: access token not valid with the login JWKS: {result.Exception?.Message}");
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Contains(jwt.Kid, jwks.Keys.Select(k => k.Kid));
        return jwt;
    }
}
