using System.Diagnostics;
using System.Net;
using System.Text;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// Bearer access tokens on an API: OidcRp's <c>AddOidcRpBearer</c> beside stock <c>AddJwtBearer</c> (with the
/// <c>ConfigurationManager</c> it builds from the authority) on the same OP, tokens and keys, in paired rounds
/// (each round runs both, alternating which goes first): validation per token, a forged-kid flood (JWKS fetches
/// counted at the OP's real loopback HTTP JWKS endpoint, genuine p99), and key rotations under API load.
/// </summary>
internal static class BearerBenchmark
{
    private static readonly string[] Sides = [BearerApps.Stock, BearerApps.OidcRp];

    public static async Task<string> RunAsync(bool smoke)
    {
        var text = new StringBuilder();
        text.Append(await ValidationAsync(smoke));
        text.Append(await FloodAsync(smoke));
        text.Append(await RotationAsync(smoke));
        return text.ToString();
    }

    private static IEnumerable<string> Order(int round) => round % 2 == 0 ? Sides : Sides.Reverse();

    /// <summary>Validation per token with the keys cached, through each scheme's handler (no socket).</summary>
    private static async Task<string> ValidationAsync(bool smoke)
    {
        int rounds = smoke ? 2 : 20, perRound = smoke ? 200 : 3_000;
        await using var op = await TestOp.StartAsync();
        var token = BearerApps.Token(op, op.Signing!);
        var apis = new Dictionary<string, BearerApps.Api>();
        foreach (var side in Sides)
        {
            apis[side] = await BearerApps.StartAsync(side, op);
            for (var i = 0; i < 200; i++) // warm-up: metadata loaded, JIT done
            {
                if (!await BearerApps.AuthenticateAsync(apis[side], token))
                {
                    throw new InvalidOperationException($"{side}: the benchmark token does not validate");
                }
            }
        }
        var micros = Sides.ToDictionary(s => s, _ => new List<double>());
        var bytes = Sides.ToDictionary(s => s, _ => new List<double>());
        var ratios = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            var round = new Dictionary<string, double>();
            foreach (var side in Order(r))
            {
                GC.Collect();
                var meter = Meter.Now();
                for (var i = 0; i < perRound; i++)
                {
                    await BearerApps.AuthenticateAsync(apis[side], token);
                }
                var (allocated, _, elapsed) = meter.Since();
                round[side] = elapsed.TotalMicroseconds / perRound;
                micros[side].Add(round[side]);
                bytes[side].Add((double)allocated / perRound);
            }
            ratios.Add(round[BearerApps.OidcRp] / round[BearerApps.Stock]);
        }
        foreach (var api in apis.Values)
        {
            await api.DisposeAsync();
        }
        var ratio = Stats.Of(ratios);
        var stockSpread = Stats.Of(micros[BearerApps.Stock]);
        var text = new StringBuilder("## 1. Validation per token (keys cached)\n\n");
        text.AppendLine($"One RFC 9068 access token (RS256, 2048-bit key) through each scheme's handler by `IAuthenticationService.AuthenticateAsync`")
            .AppendLine($"with a fresh request scope and `HttpContext` per call (no socket): {rounds} paired rounds of {perRound:N0} tokens per side, alternating")
            .AppendLine("which side goes first; allocations are the process's bytes allocated per token in the round.").AppendLine();
        text.AppendLine("| side | µs per token: median of rounds (p10–p90), min–max | allocated B per token: median (min–max) |").AppendLine("|---|---|---|");
        foreach (var side in Sides)
        {
            var t = Stats.Of(micros[side]);
            text.AppendLine($"| {side} | {t.Spread("0.0")}, {F(t.Min, "0.0")}–{F(t.Max, "0.0")} | {Stats.Of(bytes[side]).Range("N0")} |");
        }
        var stockRelativeSpread = stockSpread.P90 / stockSpread.Median;
        text.AppendLine()
            .AppendLine($"- OidcRp / stock per round: median {F(ratio.Median, "0.00")}× (p10–p90 {F(ratio.P10, "0.00")}–{F(ratio.P90, "0.00")}×, min–max {F(ratio.Min, "0.00")}–{F(ratio.Max, "0.00")}×); "
                + $"the stock side's own p90/median is {F(stockRelativeSpread, "0.00")}× → no slower within the spread: {Verdict.Met(ratio.Median <= stockRelativeSpread)}")
            .AppendLine();
        return text.ToString();
    }

    /// <summary>Random-kid tokens at full speed beside genuine calls: JWKS fetches at the OP and the genuine calls' p99.</summary>
    private static async Task<string> FloodAsync(bool smoke)
    {
        var duration = TimeSpan.FromSeconds(smoke ? 1 : 10);
        int floodWorkers = 16, unloadedCalls = smoke ? 50 : 1_000, rounds = smoke ? 1 : 3;
        var rows = new List<FloodRow>();
        using var client = BearerApps.Client();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var side in Order(r))
            {
                await using var op = await TestOp.StartAsync();
                await using var api = await BearerApps.StartAsync(side, op);
                var token = BearerApps.Token(op, op.Signing!);
                var unloaded = new List<double>();
                for (var i = 0; i < unloadedCalls; i++)
                {
                    var watch = Stopwatch.StartNew();
                    Check(await BearerApps.CallAsync(client, api, token), HttpStatusCode.OK, side);
                    unloaded.Add(watch.Elapsed.TotalMilliseconds);
                }
                var jwksBefore = op.Count("jwks");
                using var stop = new CancellationTokenSource(duration);
                var forged = 0;
                var forgedAccepted = 0;
                var flood = Enumerable.Range(0, floodWorkers).Select(_ => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        if (await BearerApps.CallAsync(client, api, BearerApps.Forged(op)) != HttpStatusCode.Unauthorized)
                        {
                            Interlocked.Increment(ref forgedAccepted);
                        }
                        Interlocked.Increment(ref forged);
                    }
                })).ToList();
                var loaded = new List<double>();
                var genuineFailed = 0;
                while (!stop.IsCancellationRequested)
                {
                    var watch = Stopwatch.StartNew();
                    if (await BearerApps.CallAsync(client, api, token) != HttpStatusCode.OK)
                    {
                        genuineFailed++;
                    }
                    loaded.Add(watch.Elapsed.TotalMilliseconds);
                }
                await Task.WhenAll(flood);
                rows.Add(new FloodRow(side, r + 1, forged, forgedAccepted, op.Count("jwks") - jwksBefore, Stats.Of(unloaded), Stats.Of(loaded), genuineFailed));
            }
        }
        var text = new StringBuilder("## 2. Forged-kid flood\n\n");
        text.AppendLine($"For {duration.TotalSeconds:0} s, {floodWorkers} connections send API calls whose tokens name a random unknown kid (valid issuer, audience")
            .AppendLine("and lifetime, random signature) back to back, while one client makes genuine calls back to back. JWKS requests are counted at the")
            .AppendLine($"test OP's JWKS endpoint (Kestrel, real HTTP on 127.0.0.1). Unloaded: {unloadedCalls:N0} genuine calls just before. Each side has")
            .AppendLine($"its own fresh OP; {rounds} paired rounds, alternating which side goes first. OidcRp runs its defaults (kid-miss window 30 s, budget 3).").AppendLine();
        text.AppendLine("| side | round | forged calls (accepted) | JWKS fetches during the flood | genuine unloaded ms: median (p10–p90), p99 | genuine under the flood ms: median (p10–p90), p99 | genuine failed |")
            .AppendLine("|---|---|---|---|---|---|---|");
        foreach (var x in rows.OrderBy(x => x.Side).ThenBy(x => x.Round))
        {
            text.AppendLine($"| {x.Side} | {x.Round} | {x.Forged:N0} ({x.ForgedAccepted}) | {x.Fetches} | {x.Unloaded.Spread()}, {F(x.Unloaded.P99, "0.00")} | {x.Loaded.Spread()}, {F(x.Loaded.P99, "0.00")} (n = {x.Loaded.Count:N0}) | {x.GenuineFailed} |");
        }
        text.AppendLine();
        return text.ToString();
    }

    private sealed record FloodRow(string Side, int Round, int Forged, int ForgedAccepted, int Fetches, Stats Unloaded, Stats Loaded, int GenuineFailed);

    /// <summary>
    /// Steady API calls while the OP rotates its key (dropping the old one) a few times, 2 s apart, after one forged-kid
    /// call: every caller takes its token from the key that signs at the moment, as clients holding fresh tokens do.
    /// </summary>
    private static async Task<string> RotationAsync(bool smoke)
    {
        int rotations = smoke ? 2 : 3, workers = 4, rounds = smoke ? 1 : 3;
        var gap = TimeSpan.FromSeconds(smoke ? 0.5 : 2);
        var rows = new List<RotationRow>();
        using var client = BearerApps.Client();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var side in Order(r))
            {
                await using var op = await TestOp.StartAsync();
                await using var api = await BearerApps.StartAsync(side, op);
                var current = BearerApps.Token(op, op.Signing!);
                Check(await BearerApps.CallAsync(client, api, current), HttpStatusCode.OK, side);
                Check(await BearerApps.CallAsync(client, api, BearerApps.Forged(op)), HttpStatusCode.Unauthorized, side);
                var jwksBefore = op.Count("jwks");
                using var stop = new CancellationTokenSource();
                int calls = 0, failed = 0;
                var load = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var status = await BearerApps.CallAsync(client, api, Volatile.Read(ref current));
                        Interlocked.Increment(ref calls);
                        if (status != HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                })).ToList();
                await Task.Delay(gap);
                var failedAfter = new List<int>();
                for (var i = 0; i < rotations; i++)
                {
                    var before = Volatile.Read(ref failed);
                    var key = op.Rotate($"rotated-{i}-{Guid.NewGuid():N}", TestOpRotation.DropOld);
                    Volatile.Write(ref current, BearerApps.Token(op, key));
                    await Task.Delay(gap);
                    failedAfter.Add(Volatile.Read(ref failed) - before);
                }
                await stop.CancelAsync();
                await Task.WhenAll(load);
                rows.Add(new RotationRow(side, r + 1, calls, failed, string.Join(" / ", failedAfter), op.Count("jwks") - jwksBefore));
            }
        }
        var text = new StringBuilder("## 3. Rotations under API load\n\n");
        text.AppendLine($"{workers} clients call the API back to back; one forged-kid call comes first (it spends the stock handler's refresh")
            .AppendLine($"throttle, 5 minutes by default); then the OP rotates {rotations} times, {gap.TotalSeconds:0.#} s apart, dropping the old key each time,")
            .AppendLine("and the clients switch to tokens from the new key at once. Each side has its own fresh OP; JWKS requests counted at the OP;")
            .AppendLine($"{rounds} paired rounds, alternating which side goes first.").AppendLine();
        text.AppendLine("| side | round | calls | failed | failed after each rotation | JWKS fetches |").AppendLine("|---|---|---|---|---|---|");
        foreach (var x in rows.OrderBy(x => x.Side).ThenBy(x => x.Round))
        {
            text.AppendLine($"| {x.Side} | {x.Round} | {x.Calls:N0} | {x.Failed:N0} | {x.PerRotation} | {x.Fetches} |");
        }
        text.AppendLine();
        return text.ToString();
    }

    private sealed record RotationRow(string Side, int Round, int Calls, int Failed, string PerRotation, int Fetches);

    private static void Check(HttpStatusCode actual, HttpStatusCode expected, string side)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"{side}: expected {(int)expected}, got {(int)actual}");
        }
    }
}
