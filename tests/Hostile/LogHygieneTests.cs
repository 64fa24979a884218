using System.Net;
using OidcRp.Audit;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// Request-derived text reaches OidcRp's logs and audit rows only cleaned: no CR or LF that could forge
/// a log line, no error description from the OP. (ASP.NET Core's own request logging writes the decoded
/// path as it is; that is the host's, and a structured log sink keeps it on one line.)
/// </summary>
public sealed class LogHygieneTests : OneProviderTest
{
    [Fact]
    public async Task An_idp_error_with_CR_LF_is_recorded_cleaned_and_its_description_never()
    {
        Op.AuthorizeError = "access_denied\r\n2026-01-01 [Critical] forged-log-line";
        using var browser = Rp.Browser();

        using var response = await browser.LoginAsync("alpha");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var row = Assert.Single(Rp.Audit.Rows);
        Assert.Equal(OidcAuditCategories.CallbackRejected, row.Category);
        Assert.StartsWith("idp_error:", row.Reason, StringComparison.Ordinal);
        Assert.Matches("^idp_error:[A-Za-z0-9_.-]{1,64}$", row.Reason); // one bounded token: no CR, LF, spaces or brackets
        AssertNoLineBreaks();
        Assert.Equal((0, 1), (Op.Count("token"), Op.Count("jwks")));
        Sentinels.AssertNoneOf([.. Sentinels.Of(Op), "op-error-description-sentinel"], Sentinels.Written(Rp, browser, response));
    }

    [Theory]
    [InlineData("/auth/oidc/al%0D%0Apha/login")]
    [InlineData("/auth/oidc/providers/al%0D%0A%5BCritical%5D/refresh")]
    [InlineData("/auth/oidc/alpha/callback?state=a%0D%0Ab&code=c%0D%0Ad")]
    public async Task Request_text_with_CR_LF_never_breaks_a_log_line(string path)
    {
        using var browser = Rp.Browser();

        using var response = await browser.SendAsync(path.Contains("refresh", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, Rp.BaseUrl + path,
            path.Contains("refresh", StringComparison.Ordinal) ? [] : null);

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"status {(int)response.StatusCode}");
        AssertNoLineBreaks();
        Assert.All(Rp.Audit.Rows, r => Assert.DoesNotContain('\n', System.Text.Json.JsonSerializer.Serialize(r).Replace("\\n", "", StringComparison.Ordinal)));
        Assert.DoesNotContain(Rp.Audit.Rows, r => (r.Reason ?? "").Contains('\n') || (r.Actor ?? "").Contains('\n') || r.ProviderId.Contains('\n'));
        Assert.Equal(0, Op.Count("token"));
        Assert.InRange(Op.Count("jwks"), 0, 1);
        Sentinels.AssertNoneOf(Sentinels.Of(Op), Sentinels.Written(Rp, browser, response));
    }

    private void AssertNoLineBreaks()
    {
        foreach (var record in Sentinels.OwnLogs(Rp))
        {
            Assert.False(record.Message.Contains('\r') || record.Message.Contains('\n'), $"log line broken: {record.Category} {record.Message}");
            foreach (var value in record.StructuredState?.Select(kv => kv.Value ?? "") ?? [])
            {
                Assert.False(value.Contains('\r') || value.Contains('\n'), $"log value broken in {record.Category} {record.Message}");
            }
        }
    }
}
