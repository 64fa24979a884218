using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Audit;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// A forged-kid flood: callbacks whose ID tokens name random unknown kids (valid claims, garbage signature),
/// paced over a fixed time, with genuine logins going on beside them. Counts JWKS fetches at the OP per
/// cooldown window and compares genuine-login latency with and without the flood.
/// </summary>
internal static class FloodBenchmark
{
    private const string Forger = "forger";

    public static async Task<string> RunAsync(bool smoke)
    {
        int forgedCount = smoke ? 100 : 10_000;
        var duration = TimeSpan.FromSeconds(smoke ? 1 : 10);
        var cooldown = TimeSpan.FromSeconds(smoke ? 0.5 : 2);
        int genuineUnloaded = smoke ? 10 : 300;

        await using var op = await TestOp.StartAsync();
        op.IdTokenFactory = r => r.Subject == Forger ? Forge(r) : r.Signing.CreateIdToken(r.Issuer, r.ClientId, r.Subject, r.Nonce);
        var sink = new RecordingAuditSink();
        await using var rp = await BenchApps.StartOidcRpAsync([op.As("p0")], o => o.Keys.KidMissCooldown = cooldown,
            s => s.AddSingleton<IOidcAuditSink>(sink));
        await Logins.ManyAsync(rp.BaseUrl, 50, 4);

        // Genuine logins alone: the unloaded latency.
        var unloaded = await GenuineAsync(rp.BaseUrl, genuineUnloaded, TimeSpan.MaxValue);

        // Every forged callback is a real flow up to the OP's answer, prepared before the clock starts.
        op.NextSubject = Forger;
        var forged = await Herds.PrepareDetachedAsync(rp.BaseUrl, forgedCount);
        op.NextSubject = "alice";
        CallbackBenchmark.Collect();

        var jwksBefore = op.Count("jwks");
        var rowsBefore = sink.Rows.Count;
        var meter = Meter.Now();
        using var stop = new CancellationTokenSource();
        var genuineTask = GenuineAsync(rp.BaseUrl, int.MaxValue, duration);
        var (answered, late) = await FloodAsync(forged, duration);
        var (_, cpu, elapsed) = meter.Since();
        var loaded = await genuineTask;
        var fetches = op.Count("jwks") - jwksBefore;
        var rows = sink.Rows.Skip(rowsBefore).ToList();
        var forgedRows = rows.Where(r => r.Category != OidcAuditCategories.LoginSucceeded).ToList();
        var windows = (int)Math.Floor(elapsed / cooldown) + 1;
        var (perForged, perParse) = DirectCost(smoke ? 1_000 : 10_000);

        var u = Stats.Of(unloaded.Select(x => x.TotalMs).ToList());
        var l = Stats.Of(loaded.Select(x => x.TotalMs).ToList());
        var text = new StringBuilder("## 4. Forged-kid flood\n\n");
        text.AppendLine($"{forgedCount:N0} callbacks whose ID tokens carry a random unknown kid (valid issuer, audience, lifetime and nonce; a random")
            .AppendLine($"signature), each a real flow (state, correlation and nonce cookies, a code redeemed at the OP's token endpoint), prepared")
            .AppendLine($"before the clock starts and then posted at an even pace over {duration.TotalSeconds:0} s by up to 64 connections. Beside them, one")
            .AppendLine($"client does genuine logins back to back (fresh browser each, whole flow). Kid-miss cooldown {cooldown.TotalSeconds:0.#} s, so the flood spans")
            .AppendLine($"{windows} cooldown windows. Unloaded: {genuineUnloaded} genuine logins the same way before the flood.").AppendLine();
        text.AppendLine("| measure | value |").AppendLine("|---|---|")
            .AppendLine($"| forged callbacks answered / offered | {answered:N0} / {forgedCount:N0} in {elapsed.TotalSeconds:0.0} s ({answered / elapsed.TotalSeconds:N0}/s; {late:N0} sent late because the machine fell behind) |")
            .AppendLine($"| their audit categories | {string.Join(", ", forgedRows.GroupBy(r => r.Category).Select(g => $"{g.Key} {g.Count():N0}"))} |")
            .AppendLine($"| JWKS fetches at the OP during the flood | {fetches} in {windows} cooldown windows |")
            .AppendLine($"| genuine logins unloaded: ms median (p10–p90), p99 | {u.Spread()}, {F(u.P99, "0.00")} (n = {u.Count}) |")
            .AppendLine($"| genuine logins during the flood: ms median (p10–p90), p99 | {l.Spread()}, {F(l.P99, "0.00")} (n = {l.Count}, failed {loaded.Count(x => !x.SignedIn)}) |")
            .AppendLine($"| process CPU during the flood | {cpu.TotalSeconds:0.0} s in {elapsed.TotalSeconds:0.0} s = {cpu / elapsed / Environment.ProcessorCount:P0} of {Environment.ProcessorCount} cores (OP, relying party and both clients) |")
            .AppendLine($"| one forged token through `RecoveringTokenValidator` (direct, one thread, inside the cooldown) | {F(perForged, "0.00")} µs |")
            .AppendLine($"| parsing it (`JsonWebTokenHandler.ReadJsonWebToken`) | {F(perParse, "0.00")} µs |")
            .AppendLine();
        var ratio = l.P99 / u.P99;
        text.AppendLine($"- JWKS fetches ≤ 1 per cooldown window: {fetches} ≤ {windows} → {Verdict.Met(fetches <= windows)}")
            .AppendLine($"- Genuine-login p99 ≤ 1.2× unloaded: {F(l.P99, "0.00")} / {F(u.P99, "0.00")} ms = {F(ratio, "0.00")}× → {Verdict.Met(ratio <= 1.2 && loaded.All(x => x.SignedIn))}")
            .AppendLine($"- CPU per forged token no more than parsing it (no signature work): {F(perForged, "0.00")} µs against {F(perParse, "0.00")} µs to parse, {F(perForged / perParse, "0.0")}× → {Verdict.Met(perForged <= perParse * 1.5)}")
            .AppendLine("  (see also the BenchmarkDotNet rows in §1; no signature is checked: one `RSA.VerifyData` alone costs more than the whole forged path)")
            .AppendLine();
        return text.ToString();
    }

    /// <summary>A token with proper claims for this flow, a random kid and a random signature: what a forger can send.</summary>
    private static string Forge(IdTokenRequest request)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
        var header = new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)) };
        return Part(header) + "." + Part(request.Claims()) + "." + Base64UrlEncoder.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));
    }

    private static async Task<List<LoginTiming>> GenuineAsync(string rpBase, int count, TimeSpan duration)
    {
        var results = new List<LoginTiming>();
        var watch = Stopwatch.StartNew();
        while (results.Count < count && watch.Elapsed < duration)
        {
            results.Add(await Logins.OneAsync(rpBase));
        }
        return results;
    }

    private static async Task<(int Answered, int Late)> FloodAsync(List<(PendingCallback Callback, string? Cookie)> forged, TimeSpan duration)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 64 });
        using var gate = new SemaphoreSlim(64);
        var answered = 0;
        var late = 0;
        var started = Stopwatch.GetTimestamp();
        var tasks = new List<Task>(forged.Count);
        for (var i = 0; i < forged.Count; i++)
        {
            var due = duration * i / forged.Count;
            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }
            else if (wait < TimeSpan.FromMilliseconds(-50))
            {
                late++;
            }
            await gate.WaitAsync();
            var (callback, cookie) = forged[i];
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, callback.Action) { Content = new FormUrlEncodedContent(callback.Fields) };
                    if (cookie is not null)
                    {
                        request.Headers.Add("Cookie", cookie);
                    }
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsStringAsync();
                    Interlocked.Increment(ref answered);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        await Task.WhenAll(tasks);
        return (answered, late);
    }

    /// <summary>µs per forged token through the validator inside the cooldown, and µs to parse it, on one thread.</summary>
    private static (double Forged, double Parse) DirectCost(int count)
    {
        var benchmarks = new ValidationBenchmarks();
        benchmarks.Setup();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                benchmarks.OidcRpForgedKid().GetAwaiter().GetResult();
                benchmarks.ForgedParseOnly();
            }
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                benchmarks.OidcRpForgedKid().GetAwaiter().GetResult();
            }
            var forged = watch.Elapsed.TotalMicroseconds / count;
            watch.Restart();
            for (var i = 0; i < count; i++)
            {
                benchmarks.ForgedParseOnly();
            }
            return (forged, watch.Elapsed.TotalMicroseconds / count);
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }
}
