using System.Net;
using OidcRp.Audit;

namespace OidcRp.Tests.Hostile;

/// <summary>
/// A flood of forged callbacks and anonymous admin calls from one source becomes a handful of audit rows whose
/// counts add up to every event, while a genuine login in the middle of it keeps a row of its own.
/// </summary>
public sealed class AuditFloodTests : OneProviderTest
{
    private const int Forged = 250;
    private const int Anonymous = 250;

    [Fact]
    public async Task Five_hundred_hostile_requests_from_one_source_are_a_handful_of_rows_that_count_every_one()
    {
        using var attacker = Rp.Browser();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Forged; i++)
        {
            // A form_post answer no login started: state that does not unprotect.
            using var response = await attacker.SendAsync(HttpMethod.Post, $"{Rp.BaseUrl}/auth/oidc/alpha/callback",
                new() { ["code"] = $"forged-code-{i}", ["state"] = $"forged-state-{i}" });
            statuses.Add(response.StatusCode);
            if (i == Forged / 2)
            {
                using var user = Rp.Browser();
                using var genuine = await user.LoginAsync("alpha");
                Assert.Equal(HttpStatusCode.Found, genuine.StatusCode);
            }
        }
        for (var i = 0; i < Anonymous; i++)
        {
            using var response = await attacker.GetAsync($"{Rp.BaseUrl}/auth/oidc/providers");
            statuses.Add(response.StatusCode);
        }

        // While the window is open: the first event of each key is written at once, the rest are being counted.
        var flood = (IReadOnlyList<OidcAuditRecord> rows) => rows.Where(r => r.Category != OidcAuditCategories.LoginSucceeded).ToList();
        Assert.Equal([1, 1], flood(Rp.Audit.Rows).Select(r => r.Count));
        await Rp.StopAsync(); // host stop writes every open window

        var rows = Rp.Audit.Rows;
        var login = Assert.Single(rows, r => r.Category == OidcAuditCategories.LoginSucceeded);
        Assert.Equal((1, "alice"), (login.Count, login.Subject));
        var hostile = flood(rows);
        Assert.Equal(4, hostile.Count);
        Assert.Equal(Forged + Anonymous, hostile.Sum(r => r.Count));
        Assert.Equal(Forged, hostile.Where(r => (r.Category, r.Reason) == (OidcAuditCategories.CallbackRejected, "state_invalid")).Sum(r => r.Count));
        Assert.Equal(Anonymous, hostile.Where(r => (r.Category, r.Outcome, r.Reason) == (OidcAuditCategories.AdminAccess, OidcAuditOutcomes.Denied, "unauthenticated")).Sum(r => r.Count));
        Assert.All(hostile, r => Assert.Equal("127.0.0.1", r.ClientIp));
        Assert.Equal(1, Op.Count("token")); // the forged callbacks never reached the token endpoint
        Assert.DoesNotContain(statuses, s => s is HttpStatusCode.OK or HttpStatusCode.InternalServerError);
    }
}
