using System.Net;
using System.Text;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// The per-provider algorithm allow-list (RFC 8725 §3.1): a configured list replaces what the OP
/// advertises, and HMAC is accepted only when listed, keyed with the client secret only, never a JWKS
/// key, and never a reason to fetch the JWKS.
/// </summary>
public sealed class AlgorithmSettingTests : IAsyncLifetime
{
    private TestOp _op = null!;
    private RpApp _rp = null!;

    public async Task InitializeAsync()
    {
        _op = await TestOp.StartAsync();
        _op.AdvertisedAlgorithms = ["RS256", "PS256", "HS256"];
        _rp = await RpApp.StartAsync([_op.As("rs"), _op.As("hs")], o =>
        {
            o.Providers["rs"].SigningAlgorithms.Add("RS256");
            o.Providers["hs"].SigningAlgorithms.Add("HS256");
        });
    }

    public async Task DisposeAsync()
    {
        await _rp.DisposeAsync();
        await _op.DisposeAsync();
    }

    private static byte[] Secret => Encoding.UTF8.GetBytes(TestOp.ClientSecret);

    public static TheoryData<string, string, string?> Cases => new()
    {
        // provider, token, expected reason (null: signs in)
        { "rs", "RS256", null },
        { "rs", "PS256 (advertised, not configured)", "alg_not_allowed" },
        { "rs", "HS256 with the client secret (advertised, not configured)", "alg_not_allowed" },
        { "hs", "HS256 with the client secret", null },
        { "hs", "HS256 with the client secret and an unknown kid", null },
        { "hs", "HS256 with the RSA public key", "signature_invalid" },
        { "hs", "HS256 with another secret and an unknown kid", "signature_invalid" },
        { "hs", "RS256 (advertised, not configured)", "alg_not_allowed" },
        { "hs", "HS384 with the client secret", "alg_not_allowed" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Only_the_configured_algorithms_sign_in(string provider, string token, string? reason)
    {
        string? issued = null;
        _op.IdTokenFactory = r => issued = Make(r, token);
        using var browser = _rp.Browser();

        using var response = await browser.LoginAsync(provider);

        var row = Assert.Single(_rp.Audit.Rows);
        if (reason is null)
        {
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal(OidcAuditCategories.LoginSucceeded, row.Category);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal((OidcAuditCategories.IdTokenInvalid, reason), (row.Category, row.Reason));
        }
        Assert.Equal(1, _op.Count("jwks")); // an HMAC token's kid is never a rotation
        Sentinels.AssertNoneOf([.. Sentinels.Of(_op), issued!], Sentinels.Written(_rp, browser, response));
    }

    private static string Make(IdTokenRequest r, string token)
    {
        var header = r.Header();
        byte[]? hmac = null;
        if (token.StartsWith("HS", StringComparison.Ordinal))
        {
            header["alg"] = token[..5];
            hmac = token.Contains("client secret", StringComparison.Ordinal) ? Secret
                : token.Contains("RSA public key", StringComparison.Ordinal) ? r.Signing.PublicKeyBytes
                : Encoding.UTF8.GetBytes(new string('x', 64));
            if (token.Contains("unknown kid", StringComparison.Ordinal))
            {
                header["kid"] = "hmac-kid-the-jwks-lacks";
            }
            else
            {
                header.Remove("kid");
            }
        }
        else if (token.StartsWith("PS256", StringComparison.Ordinal))
        {
            header["alg"] = "PS256";
        }
        return r.Signing.Sign(header, r.Claims(), hmac);
    }
}
