using FsCheck.Fluent;
using OidcRp.Audit;
using OidcRp.Tests.Support;
using OidcRp.Tests.Unit.Support;
using Xunit.Abstractions;

namespace OidcRp.Tests.Unit.Fuzz;

/// <summary>
/// The token-validation entry point under a fuzz run with a fixed budget (<c>OIDCRP_FUZZ_INPUTS</c>,
/// default 10,000 tokens): no input throws, every outcome is a known category with a reason, and all of
/// them together make the provider serve its JWKS at most the kid-miss budget more (the budget holds, as
/// the clock does not move).
/// </summary>
public sealed class TokenValidationFuzzTests(ITestOutputHelper output) : IDisposable
{
    private static readonly HashSet<string> Categories =
    [
        OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered, OidcAuditCategories.KidMismatchUnrecovered,
        OidcAuditCategories.KidMismatchThrottled, OidcAuditCategories.JwksUnreachable, OidcAuditCategories.IdTokenInvalid,
    ];

    private readonly RefresherHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Fuzzed_id_tokens_never_throw_and_never_flood_the_jwks_endpoint()
    {
        await _h.LoadAsync();
        var run = FuzzRun.Start(nameof(Fuzzed_id_tokens_never_throw_and_never_flood_the_jwks_endpoint), FuzzInputs.Budget(10_000));
        var draws = FuzzInputs.IdTokens(_h.Op.Issuer, RefresherHarness.ClientId, _h.Key(0).Kid).Sample(run.Budget, run.Random, 50);
        await run.RunAsync(FuzzRun.HashOf(draws.Select(d => d.Canonical)), output.WriteLine, async () =>
        {
            var now = _h.Time.GetUtcNow().ToUnixTimeSeconds();
            var outcomes = new Dictionary<string, int>();
            for (var i = 0; i < draws.Length; i++)
            {
                var token = draws[i].Build(_h.Key(0), now);
                (Microsoft.IdentityModel.Tokens.TokenValidationResult result, OidcRp.Callback.ValidationRecord record) validated;
                try
                {
                    validated = await _h.ValidateAsync(token);
                }
                catch (Exception e)
                {
                    Assert.Fail($"draw {i}: {e.GetType().Name} for input of {token.Length} characters: {e.Message}");
                    throw;
                }
                var (result, record) = validated;
                Assert.Contains(record.Category, Categories);
                Assert.Equal(result.IsValid, record.Success);
                Assert.True(record.Success || record.Reason is not null, $"draw {i}: no reason for {record.Category}");
                Assert.True(record.Reason is null || OidcRpReasons.All.Contains(record.Reason), $"draw {i}: reason {record.Reason} is not in OidcRpReasons");
                var key = record.Category + "/" + (record.Reason ?? "-");
                outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            }

            Assert.InRange(_h.Op.JwksRequests, 1, 1 + _h.Options.Keys.KidMissBudget); // the load, then at most the budget
            Assert.True(outcomes.Keys.Count(k => k.StartsWith(OidcAuditCategories.IdTokenInvalid, StringComparison.Ordinal)) >= 10,
                "the generator reached too few distinct failure reasons");
            output.WriteLine($"fuzz: {draws.Length} ID tokens tried, {_h.Op.JwksRequests} JWKS fetches in all; outcomes:");
            foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value))
            {
                output.WriteLine($"  {outcome}: {count}");
            }
        });
    }
}
