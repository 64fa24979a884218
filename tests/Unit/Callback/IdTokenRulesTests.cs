using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Callback;

namespace OidcRp.Tests.Unit.Callback;

/// <summary>The key-free rules on the raw header and claims, one boundary at a time (shapes IdentityModel's own parser refuses first, such as a non-object payload or a numeric typ, never reach them).</summary>
public sealed class IdTokenRulesTests
{
    private const string ClientId = "client-1";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);
    private static readonly string[] Allowed = ["RS256", "ES256"];

    private static JsonWebToken Jwt(object header, string payloadJson) =>
        new JsonWebTokenHandler().ReadJsonWebToken(
            Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payloadJson)) + ".c2ln");

    private static JsonWebToken Header(Dictionary<string, object?> header) => Jwt(header, Claims());

    private static string Claims(string? sub = "\"alice\"", string? iat = null, string aud = "\"client-1\"", string? azp = null, string extra = "")
    {
        var parts = new List<string>();
        if (sub is not null)
        {
            parts.Add($"\"sub\":{sub}");
        }
        parts.Add($"\"iat\":{iat ?? Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        parts.Add($"\"aud\":{aud}");
        if (azp is not null)
        {
            parts.Add($"\"azp\":{azp}");
        }
        if (extra.Length > 0)
        {
            parts.Add(extra);
        }
        return "{" + string.Join(",", parts) + "}";
    }

    private static string? Check(string payload, string? clientId = ClientId) =>
        IdTokenRules.CheckClaims(Jwt(new Dictionary<string, object?> { ["alg"] = "RS256" }, payload), clientId, Skew, Now);

    [Theory]
    [InlineData("RS256", null)]
    [InlineData("ES256", null)]
    [InlineData("none", OidcRpReasons.AlgNotAllowed)]
    [InlineData("NONE", OidcRpReasons.AlgNotAllowed)]
    [InlineData("HS256", OidcRpReasons.AlgNotAllowed)]
    [InlineData("rs256", OidcRpReasons.AlgNotAllowed)]
    [InlineData("", OidcRpReasons.AlgNotAllowed)]
    public void Algorithm_must_be_in_the_allow_list_exactly(string alg, string? reason) =>
        Assert.Equal(reason, IdTokenRules.CheckHeader(Header(new() { ["alg"] = alg }), Allowed));

    [Fact]
    public void A_header_without_alg_is_refused() =>
        Assert.Equal(OidcRpReasons.AlgNotAllowed, IdTokenRules.CheckHeader(Header(new() { ["kid"] = "k" }), Allowed));

    [Theory]
    [InlineData("JWT", null)]
    [InlineData("jwt", null)]
    [InlineData("application/jwt", null)]
    [InlineData("Application/JWT", null)]
    [InlineData("at+jwt", OidcRpReasons.TypNotAllowed)]
    [InlineData("logout+jwt", OidcRpReasons.TypNotAllowed)]
    [InlineData("", OidcRpReasons.TypNotAllowed)]
    public void Typ_is_absent_or_a_plain_jwt(string typ, string? reason) =>
        Assert.Equal(reason, IdTokenRules.CheckHeader(Header(new() { ["alg"] = "RS256", ["typ"] = typ }), Allowed));

    [Fact]
    public void A_header_without_typ_passes() =>
        Assert.Null(IdTokenRules.CheckHeader(Header(new() { ["alg"] = "RS256" }), Allowed));

    [Fact]
    public void Crit_is_refused() =>
        Assert.Equal(OidcRpReasons.CritUnsupported, IdTokenRules.CheckHeader(Header(new() { ["alg"] = "RS256", ["crit"] = new[] { "exp" } }), Allowed));

    [Theory]
    [InlineData("jwk")]
    [InlineData("jku")]
    [InlineData("x5u")]
    [InlineData("x5c")]
    public void Embedded_or_referenced_keys_are_refused(string name) =>
        Assert.Equal(OidcRpReasons.EmbeddedKeyNotAllowed, IdTokenRules.CheckHeader(Header(new() { ["alg"] = "RS256", [name] = "x" }), Allowed));

    [Fact]
    public void Size_is_capped_at_64_KiB()
    {
        Assert.Null(IdTokenRules.CheckSize(new string('a', IdTokenRules.MaxTokenLength)));
        Assert.Equal(OidcRpReasons.TokenTooLarge, IdTokenRules.CheckSize(new string('a', IdTokenRules.MaxTokenLength + 1)));
    }

    [Fact]
    public void Genuine_claims_pass() => Assert.Null(Check(Claims()));

    [Theory]
    [InlineData(null)]
    [InlineData("\"\"")]
    [InlineData("123")]
    [InlineData("null")]
    public void Sub_must_be_a_non_empty_string(string? sub) => Assert.Equal(OidcRpReasons.SubInvalid, Check(Claims(sub: sub)));

    [Fact]
    public void Sub_is_at_most_255_characters_counted_as_characters_not_bytes()
    {
        Assert.Null(Check(Claims(sub: "\"" + new string('s', 255) + "\"")));
        Assert.Equal(OidcRpReasons.SubInvalid, Check(Claims(sub: "\"" + new string('s', 256) + "\"")));
        Assert.Null(Check(Claims(sub: "\"" + new string('é', 255) + "\""))); // 510 bytes, 255 characters
        Assert.Null(Check(Claims(sub: "\"" + string.Concat(Enumerable.Repeat("\\u00e9", 255)) + "\""))); // escaped
        Assert.Equal(OidcRpReasons.SubInvalid, Check(Claims(sub: "\"" + string.Concat(Enumerable.Repeat("\\u00e9", 256)) + "\"")));
    }

    [Fact]
    public void Iat_must_be_a_number_not_later_than_now_plus_the_clock_skew()
    {
        var latest = (Now + Skew).ToUnixTimeSeconds();
        Assert.Null(Check(Claims(iat: latest.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(OidcRpReasons.IatInvalid, Check(Claims(iat: (latest + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(OidcRpReasons.IatInvalid, Check(Claims(iat: "\"0\"")));
        Assert.Equal(OidcRpReasons.IatInvalid, Check("{\"sub\":\"alice\",\"aud\":\"client-1\"}"));
    }

    [Fact]
    public void Several_audiences_need_azp_naming_this_client()
    {
        Assert.Equal(OidcRpReasons.AzpInvalid, Check(Claims(aud: "[\"client-1\",\"other\"]")));
        Assert.Null(Check(Claims(aud: "[\"client-1\",\"other\"]", azp: "\"client-1\"")));
        Assert.Equal(OidcRpReasons.AzpInvalid, Check(Claims(aud: "[\"client-1\",\"other\"]", azp: "\"other\"")));
        Assert.Null(Check(Claims(aud: "[\"client-1\"]")));
    }

    [Fact]
    public void Azp_when_present_must_be_this_client_as_a_string()
    {
        Assert.Null(Check(Claims(azp: "\"client-1\"")));
        Assert.Equal(OidcRpReasons.AzpInvalid, Check(Claims(azp: "\"client-2\"")));
        Assert.Equal(OidcRpReasons.AzpInvalid, Check(Claims(azp: "\"client-1\""), clientId: null));
    }

    [Fact]
    public void A_claim_given_twice_counts_with_its_last_value()
    {
        Assert.Null(Check("{\"sub\":\"\",\"sub\":\"alice\",\"iat\":" + Now.ToUnixTimeSeconds() + ",\"aud\":\"client-1\"}"));
        Assert.Equal(OidcRpReasons.SubInvalid, Check("{\"sub\":\"alice\",\"sub\":\"\",\"iat\":" + Now.ToUnixTimeSeconds() + ",\"aud\":\"client-1\"}"));
    }

    [Fact]
    public void Nested_values_are_skipped_whole()
    {
        Assert.Null(Check(Claims(extra: "\"address\":{\"sub\":\"\",\"iat\":\"x\",\"azp\":\"evil\"},\"list\":[{\"aud\":[1,2,3]}]")));
    }

    [Fact]
    public void A_payload_larger_than_the_stack_buffer_is_read_the_same_way()
    {
        var padding = "\"padding\":\"" + new string('p', 4000) + "\"";
        Assert.Null(Check(Claims(extra: padding)));
        Assert.Equal(OidcRpReasons.SubInvalid, Check(Claims(sub: "\"\"", extra: padding)));
    }
}
