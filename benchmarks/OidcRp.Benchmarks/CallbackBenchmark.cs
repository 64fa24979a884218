using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// Whole logins through the real pipeline, OidcRp against the stock single-provider <c>AddOpenIdConnect</c>,
/// both against the same in-process test OP: throughput, latency and allocations per login.
/// </summary>
internal static class CallbackBenchmark
{
    private const int Concurrency = 4;

    public static async Task<string> RunAsync(bool smoke)
    {
        int rounds = smoke ? 1 : 20, perRound = smoke ? 10 : 150, warmUp = smoke ? 3 : 100;
        await using var op = await TestOp.StartAsync();
        var provider = op.As("p0");
        await using var oidcRp = await BenchApps.StartOidcRpAsync([provider]);
        await using var stock = await BenchApps.StartStockAsync([provider]);
        BenchRp[] apps = [stock, oidcRp];
        foreach (var app in apps)
        {
            Check(await Logins.ManyAsync(app.BaseUrl, warmUp, Concurrency), app.Kind);
        }
        await OpOnlyAsync(op, oidcRp.BaseUrl, warmUp);

        var throughput = apps.ToDictionary(a => a.Kind, _ => new List<double>());
        var allocated = apps.ToDictionary(a => a.Kind, _ => new List<double>());
        var cpu = apps.ToDictionary(a => a.Kind, _ => new List<double>());
        var totals = apps.ToDictionary(a => a.Kind, _ => new List<double>());
        var callbacks = apps.ToDictionary(a => a.Kind, _ => new List<double>());
        var opOnly = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            // Alternate the order so that neither side always runs on a warmer or cooler machine.
            foreach (var app in round % 2 == 0 ? apps : apps.Reverse())
            {
                Collect();
                var meter = Meter.Now();
                var timings = await Logins.ManyAsync(app.BaseUrl, perRound, Concurrency);
                var (bytes, used, elapsed) = meter.Since();
                Check(timings, app.Kind);
                throughput[app.Kind].Add(perRound / elapsed.TotalSeconds);
                allocated[app.Kind].Add(bytes / 1024.0 / perRound);
                cpu[app.Kind].Add(used.TotalMilliseconds / perRound);
                totals[app.Kind].AddRange(timings.Select(t => t.TotalMs));
                callbacks[app.Kind].AddRange(timings.Select(t => t.CallbackMs));
            }
            Collect();
            var opMeter = Meter.Now();
            await OpOnlyAsync(op, oidcRp.BaseUrl, perRound);
            opOnly.Add(opMeter.Since().Allocated / 1024.0 / perRound);
        }

        var opShare = Stats.Of(opOnly).Median;
        var text = new StringBuilder("## 2. Whole login through the real pipeline\n\n");
        text.AppendLine($"Each login is a fresh browser-like client (own connections and cookies) doing the whole code flow against the test OP")
            .AppendLine("(`tests/Support/TestOp`, RS256, on Kestrel at 127.0.0.1 in the same process): `GET /auth/oidc/p0/login` → challenge →")
            .AppendLine("OP authorize (form_post) → `POST` callback → code redemption at the OP's token endpoint → ID token validation → cookie")
            .AppendLine($"sign-in (→ audit row for OidcRp, default in-memory sink). {Concurrency} logins in flight at a time; {rounds} rounds of {perRound} logins per")
            .AppendLine($"side, alternating which side goes first, after {warmUp} warm-up logins each. The OP, the client and both relying parties share")
            .AppendLine("the 2 cores, so the OP's RSA signing and the client's work are part of every login on both sides.").AppendLine();
        text.AppendLine("| side | logins/s per round, median (min–max) | whole login ms, median (p10–p90) | callback ms, median (p10–p90) | callback p99 ms | KiB allocated per login (process), median (min–max) | CPU ms per login (process) |")
            .AppendLine("|---|---|---|---|---|---|---|");
        foreach (var app in apps)
        {
            var k = app.Kind;
            text.AppendLine($"| {k} | {Stats.Of(throughput[k]).Range("0")} | {Stats.Of(totals[k]).Spread()} | {Stats.Of(callbacks[k]).Spread()} | {F(Stats.Of(callbacks[k]).P99, "0.00")} | {Stats.Of(allocated[k]).Range("0.0")} | {Stats.Of(cpu[k]).Median:0.00} |");
        }
        // Each round runs both sides back to back: the paired ratio cancels what the shared machine does between rounds.
        var paired = Stats.Of(throughput["OidcRp"].Zip(throughput["stock"], (o, s) => o / s).ToList());
        var tput = paired.Median;
        var allocOidc = Stats.Of(allocated["OidcRp"]).Median;
        var allocStock = Stats.Of(allocated["stock"]).Median;
        var rpRatio = (allocOidc - opShare) / (allocStock - opShare);
        text.AppendLine()
            .AppendLine($"Allocations: `GC.GetTotalAllocatedBytes(precise: true)` around each round, divided by its logins; this counts the whole process")
            .AppendLine($"(RP, OP and client) under identical conditions for both sides. The OP's and the client's share was measured by running the same")
            .AppendLine($"flow's OP requests alone (authorize, form parse, token request with PKCE, fresh client per login): {F(opShare, "0.0")} KiB per login (median);")
            .AppendLine($"subtracting it leaves the relying party's share (plus the client side of the two RP requests, the same for both sides).").AppendLine();
        var cpuRatio = Stats.Of(cpu["OidcRp"].Zip(cpu["stock"], (o, s) => o / s).ToList());
        text.AppendLine($"- Throughput ≥ 0.95× stock: OidcRp/stock per round {paired.Range("0.00")}×, median {F(tput, "0.000")}× → {Verdict.Met(tput >= 0.95)}")
            .AppendLine($"  (process CPU per login, OidcRp/stock per round: {cpuRatio.Range("0.00")}×; single rounds swing by ±20 % on this machine, so only the median over the rounds is read)")
            .AppendLine($"- Allocations per login ≤ 1.1× stock: whole process {F(allocOidc / allocStock, "0.00")}×; relying-party share {F(allocOidc - opShare, "0.0")} KiB vs {F(allocStock - opShare, "0.0")} KiB = {F(rpRatio, "0.00")}× → {Verdict.Met(rpRatio <= 1.1)}")
            .AppendLine();
        text.Append(await CallbackIsolated.RunAsync(smoke));
        return text.ToString();
    }

    internal static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void Check(List<LoginTiming> timings, string kind)
    {
        if (timings.Any(t => !t.SignedIn))
        {
            throw new InvalidOperationException($"{kind}: {timings.Count(t => !t.SignedIn)} of {timings.Count} logins failed");
        }
    }

    /// <summary>The OP's part of <paramref name="count"/> logins without a relying party: authorize, then the token request.</summary>
    private static async Task OpOnlyAsync(TestOp op, string rpBase, int count)
    {
        var redirect = rpBase + "/auth/oidc/p0/callback";
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
                var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
                var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
                var state = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
                var html = await http.GetStringAsync($"{op.Issuer}/authorize?client_id={op.ClientId}&redirect_uri={Uri.EscapeDataString(redirect)}"
                    + $"&response_type=code&response_mode=form_post&scope=openid&code_challenge={challenge}&code_challenge_method=S256&state={state}&nonce={state}");
                var code = HtmlForms.Parse(html)[0].Fields["code"];
                using var request = new HttpRequestMessage(HttpMethod.Post, op.Issuer + "/token")
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirect, ["code_verifier"] = verifier,
                    }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{op.ClientId}:{TestOp.ClientSecret}")));
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsStringAsync();
            }
        })));
    }
}
