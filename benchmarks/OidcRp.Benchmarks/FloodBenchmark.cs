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
/// kid-miss window (at most the budget each) and compares genuine-login latency with and without the flood.
/// </summary>
internal static class FloodBenchmark
{
    private const string Forger = "forger";

    public static async Task<string> RunAsync(bool smoke)
    {
        int forgedCount = smoke ? 100 : 10_000;
        var duration = TimeSpan.FromSeconds(smoke ? 1 : 10);
        var cooldown = TimeSpan.FromSeconds(smoke ? 0.5 : 2); // the kid-miss window, shortened so the flood spans several
        var budget = new OidcKeyPolicyOptions().KidMissBudget;
        int genuineUnloaded = smoke ? 10 : 300;
        var repetitions = smoke ? 1 : 3;
        var sides = new List<Side>();
        for (var r = 0; r < repetitions; r++)
        {
            // Alternate which side goes first.
            foreach (var kind in r % 2 == 0 ? new[] { "OidcRp", "stock" } : ["stock", "OidcRp"])
            {
                sides.Add(await OneAsync(kind, forgedCount, duration, cooldown, genuineUnloaded) with { Repetition = r + 1 });
            }
        }
        var oidcRps = sides.Where(x => x.Kind == "OidcRp").ToList();
        var stocks = sides.Where(x => x.Kind == "stock").ToList();
        var (perForged, perParse) = DirectCost(smoke ? 1_000 : 10_000);

        var windows = (int)Math.Floor(oidcRps.Max(x => x.Elapsed) / cooldown) + 1;
        var text = new StringBuilder("## 4. Forged-kid flood\n\n");
        text.AppendLine($"{forgedCount:N0} callbacks whose ID tokens carry a random unknown kid (valid issuer, audience, lifetime and nonce; a random")
            .AppendLine($"signature), each a real flow (state, correlation and nonce cookies, a code redeemed at the OP's token endpoint), prepared")
            .AppendLine($"before the clock starts and then posted at an even pace over {duration.TotalSeconds:0} s by up to 64 connections. Beside them, one")
            .AppendLine($"client does genuine logins back to back (fresh browser each, whole flow). OidcRp's kid-miss window is {cooldown.TotalSeconds:0.#} s here (budget {budget}), so")
            .AppendLine($"the flood spans {windows} windows. Unloaded: {genuineUnloaded} genuine logins the same way just before the flood. The")
            .AppendLine("stock handler gets the same flood on its own fresh OP and app, as a control: what the machine itself does to genuine")
            .AppendLine($"logins when 1,000 callbacks a second share its 2 cores with them. {repetitions} repetitions per side, alternating which goes first.").AppendLine();
        text.AppendLine("| side | run | forged answered / offered (rate) | JWKS fetches during the flood | genuine unloaded ms: median (p10–p90), p99 | genuine during the flood ms: median (p10–p90), p99 | p99 ratio | genuine failed | process CPU during the flood |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in oidcRps.Concat(stocks))
        {
            text.AppendLine($"| {r.Kind} | {r.Repetition} | {r.Answered:N0} / {r.Offered:N0} in {r.Elapsed.TotalSeconds:0.0} s ({r.Answered / r.Elapsed.TotalSeconds:N0}/s, {r.Late:N0} sent late) | {r.Fetches} | "
                + $"{r.Unloaded.Spread()}, {F(r.Unloaded.P99, "0.00")} (n = {r.Unloaded.Count}) | {r.Loaded.Spread()}, {F(r.Loaded.P99, "0.00")} (n = {r.Loaded.Count}) | "
                + $"{F(r.Loaded.P99 / r.Unloaded.P99, "0.00")}× | {r.GenuineFailed} | {r.Cpu.TotalSeconds:0.0} s = {r.Cpu / r.Elapsed / Environment.ProcessorCount:P0} of {Environment.ProcessorCount} cores |");
        }
        text.AppendLine().AppendLine($"OidcRp's answers to the forged callbacks (audit rows), run by run: {string.Join("; ", oidcRps.Select(x => x.Categories))}.").AppendLine();
        text.AppendLine($"CPU per forged token, measured on the validator directly (one thread, the kid already looked up, {(smoke ? 1_000 : 10_000):N0} tokens): OidcRp's whole")
            .AppendLine($"forged-kid path {F(perForged, "0.00")} µs; parsing the token alone (`ReadJsonWebToken`) {F(perParse, "0.00")} µs. The BenchmarkDotNet rows in §1 give the")
            .AppendLine("same comparison with spread; one `RSA.VerifyData` there costs several times the whole forged path.").AppendLine();
        var ratios = Stats.Of(oidcRps.Select(x => x.Loaded.P99 / x.Unloaded.P99).ToList());
        var stockRatios = Stats.Of(stocks.Select(x => x.Loaded.P99 / x.Unloaded.P99).ToList());
        text.AppendLine($"- JWKS fetches ≤ the budget ({budget}) per kid-miss window: {string.Join(", ", oidcRps.Select(x => x.Fetches))} in {windows} windows (at most {budget * windows}) → {Verdict.Met(oidcRps.All(x => x.Fetches <= budget * windows))}")
            .AppendLine($"- Genuine-login p99 ≤ 1.2× its unloaded p99: median {ratios.Range("0.00")}× over the runs (stock on the same flood: {stockRatios.Range("0.00")}×), "
                + $"{oidcRps.Sum(x => x.GenuineFailed)} genuine logins failed → {Verdict.Met(ratios.Median <= 1.2 && oidcRps.All(x => x.GenuineFailed == 0))}")
            .AppendLine($"- CPU per forged token no more than parsing it, no signature work: {F(perForged / perParse, "0.0")}× a parse, no signature checked → {Verdict.Met(perForged <= perParse)}")
            .AppendLine("  The forged path is the parse plus the header and claim rules (an allocation-free second read of the payload), the")
            .AppendLine("  key-free lifetime, audience and issuer checks, the budget decision and the failure record; it never verifies a signature.")
            .AppendLine("  It cannot cost less than its own parse; what it costs above that is those rules.")
            .AppendLine();
        return text.ToString();
    }

    private sealed record Side(string Kind, int Offered, int Answered, int Late, TimeSpan Elapsed, TimeSpan Cpu, int Fetches, Stats Unloaded,
        Stats Loaded, int GenuineFailed, string Categories)
    {
        public int Repetition { get; init; }
    }

    private static async Task<Side> OneAsync(string kind, int forgedCount, TimeSpan duration, TimeSpan cooldown, int genuineUnloaded)
    {
        await using var op = await TestOp.StartAsync();
        op.IdTokenFactory = r => r.Subject == Forger ? Forge(r) : r.Signing.CreateIdToken(r.Issuer, r.ClientId, r.Subject, r.Nonce);
        var sink = new RecordingAuditSink();
        await using var rp = kind == "OidcRp"
            ? await BenchApps.StartOidcRpAsync([op.As("p0")], o => o.Keys.KidMissWindow = cooldown, s => s.AddSingleton<IOidcAuditSink>(sink))
            : await BenchApps.StartStockAsync([op.As("p0")]);
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
        var genuineTask = GenuineAsync(rp.BaseUrl, int.MaxValue, duration);
        var (answered, late) = await FloodAsync(forged, duration);
        var (_, cpu, elapsed) = meter.Since();
        var loaded = await genuineTask;
        var categories = sink.Rows.Skip(rowsBefore).Where(r => r.Category != OidcAuditCategories.LoginSucceeded)
            .GroupBy(r => r.Category).Select(g => $"`{g.Key}` {g.Count():N0}");
        return new Side(kind, forgedCount, answered, late, elapsed, cpu, op.Count("jwks") - jwksBefore, Stats.Of(unloaded.Select(x => x.TotalMs).ToList()),
            Stats.Of(loaded.Select(x => x.TotalMs).ToList()), loaded.Count(x => !x.SignedIn), string.Join(", ", categories));
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

    /// <summary>µs per forged token through the validator once its kid was looked up, and µs to parse it, on one thread.</summary>
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
