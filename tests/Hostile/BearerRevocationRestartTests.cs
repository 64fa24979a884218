using System.Net;
using System.Net.Http.Headers;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>Revocations survive a restart of the app (the file store; the SQL store is covered by the audit-store tests' database).</summary>
public sealed class BearerRevocationRestartTests
{
    [Fact]
    public async Task A_revocation_survives_a_restart_and_costs_no_fetch_after_it()
    {
        var file = Path.Combine(Path.GetTempPath(), $"oidcrp-restart-{Guid.NewGuid():N}.json");
        await using var op = await TestOp.StartAsync();
        void Configure(OidcRpOptions o) => o.Keys.RevocationFile = file;
        void Bearer(OidcRpBearerOptions b) => b.Audiences.Add("api");
        var token = op.CreateAccessToken();
        try
        {
            await using (var first = await RpApp.StartAsync([op.As("alpha")], Configure, bearer: Bearer))
            {
                Assert.Equal(HttpStatusCode.OK, await CallAsync(first, token));
                var revocations = (IOidcKeyRevocations)first.Services.GetService(typeof(IOidcKeyRevocations))!;
                await revocations.RevokeAsync("alpha", "op-key-1", "alpha:admin", CancellationToken.None);
                Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(first, token));
            }

            await using var second = await RpApp.StartAsync([op.As("alpha")], Configure, bearer: Bearer);
            var jwks = op.Count("jwks");
            Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(second, token));
            Assert.Equal(jwks + 1, op.Count("jwks")); // the first use loads the provider; the revoked kid itself fetched nothing
            Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(second, token));
            Assert.Equal(jwks + 1, op.Count("jwks"));
            await second.FlushAuditAsync();
            Assert.Contains(second.Audit.Rows, r => r.Reason == Audit.OidcRpReasons.KidRevoked);
            Assert.Equal(["op-key-1"], ((IOidcKeyRevocations)second.Services.GetService(typeof(IOidcKeyRevocations))!).GetRevoked("alpha"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<HttpStatusCode> CallAsync(RpApp rp, string token)
    {
        using var client = rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
