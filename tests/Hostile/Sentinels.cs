using System.Text.Json;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Hostile;

/// <summary>Everything OidcRp wrote during a test (logs, audit rows, response bodies and headers), scanned for secrets.</summary>
internal static class Sentinels
{
    public static IReadOnlyList<string> Written(RpApp rp, BrowserClient? browser = null, params HttpResponseMessage?[] responses) =>
        rp.Logs.GetSnapshot().Select(r => r.Message + " " + string.Join(",", r.StructuredState?.Select(kv => kv.Value) ?? []) + " " + r.Exception)
            .Concat(rp.Audit.Rows.Select(r => JsonSerializer.Serialize(r)))
            .Concat(browser?.Bodies ?? [])
            .Concat(responses.Where(r => r is not null).Select(r => r!.Headers + " " + r.Content.Headers))
            .ToList();

    /// <summary>
    /// Log lines OidcRp is answerable for: its own categories and the stock handler it configures (not the
    /// host's request logging, which writes the decoded request path).
    /// </summary>
    public static IEnumerable<Microsoft.Extensions.Logging.Testing.FakeLogRecord> OwnLogs(RpApp rp) =>
        rp.Logs.GetSnapshot().Where(r => r.Category is { } c && (c.StartsWith("OidcRp", StringComparison.Ordinal)
            || c.StartsWith("Microsoft.AspNetCore.Authentication.OpenIdConnect", StringComparison.Ordinal)));

    /// <summary>Fails when any secret of at least 8 characters appears in anything written.</summary>
    public static void AssertNoneOf(IEnumerable<string> secrets, IReadOnlyList<string> written)
    {
        foreach (var secret in secrets.Where(s => s.Length >= 8).Distinct())
        {
            var leak = written.FirstOrDefault(w => w.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"a secret was written: {leak?[..Math.Min(leak.Length, 300)]}");
        }
    }

    /// <summary>The OP's secrets of this test (codes, states, nonces, tokens, verifiers) and the client secret.</summary>
    public static IEnumerable<string> Of(TestOp op) => [.. op.Secrets, TestOp.ClientSecret];
}
