using System.Diagnostics;
using System.Text;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// 1 to 10,000 configured providers: start-up time, managed memory before first use and per loaded provider
/// (discovery + 3-key JWKS, through a real login start), and the per-request cost of the authentication
/// middleware, for OidcRp and for the stock handler with one <c>AddOpenIdConnect</c> scheme per provider.
/// </summary>
internal static class ScaleBenchmark
{
    public static async Task<string> RunAsync(bool smoke)
    {
        int[] sizes = smoke ? [1, 10, 100] : [1, 100, 1_000, 10_000];
        var maxLoaded = smoke ? 10 : 1_000;
        var requests = smoke ? 20 : 200;
        await using var op = await MultiIssuerOp.StartAsync();
        var rows = new List<Row>();
        // One discarded round per side first: JIT and one-time static set-up are not start-up cost of a provider.
        await OneAsync(op, "OidcRp", 2, 2, requests);
        await OneAsync(op, "stock", 2, 2, requests);
        // All of one side before the other: a disposed app's HTTP handlers live on until their timers expire.
        foreach (var kind in new[] { "OidcRp", "stock" })
        {
            foreach (var n in sizes)
            {
                rows.Add(await OneAsync(op, kind, n, Math.Min(n, maxLoaded), requests));
            }
        }
        foreach (var row in rows)
        {
            var times = new List<double>();
            for (var i = 0; i < (smoke ? 1 : 3); i++)
            {
                times.Add(await ColdStartAsync(row.Kind, row.N));
            }
            row.ColdStart = Stats.Of(times);
        }

        var text = new StringBuilder("## 6. Scale: many configured providers\n\n");
        text.AppendLine("Cold start: a child process (this program) builds the app with N providers, starts it and answers one `GET /ping`;")
            .AppendLine($"the time from launching it to that answer, {(smoke ? 1 : 3)} launches each. Warm start and everything else: each size and side is a fresh app in this process (the previous one disposed and collected first); warm start is from")
            .AppendLine("`WebApplication.CreateSlimBuilder()` to the answer of the first request (`GET /ping`, which passes the authentication")
            .AppendLine("middleware). Memory: `GC.GetTotalMemory(forceFullCollection: true)`; \"per unused provider\" is the app's growth from before")
            .AppendLine("it was built to after its first request, less the same growth of the side's 1-provider app, divided by the extra providers. Loaded: a login is started at each of")
            .AppendLine($"the first min(N, {maxLoaded:N0}) providers (`GET /auth/oidc/{{id}}/login` → challenge, which loads discovery and a 3-key JWKS from")
            .AppendLine($"a loopback OP and builds the scheme's handler options); per loaded provider is the growth divided by that count.")
            .AppendLine($"Per request: {requests} sequential `GET /ping` through the authentication middleware after loading; latency and")
            .AppendLine("process allocations per request.").AppendLine();
        text.AppendLine("| side | providers | cold start ms, median (min–max) | warm start ms | of which the first request | KiB per unused provider | KiB per loaded provider | load ms per provider | request µs, median (p10–p90) | KiB allocated per request |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows.OrderBy(r => r.Kind).ThenBy(r => r.N))
        {
            var one = rows.Single(x => x.Kind == r.Kind && x.N == 1);
            var unused = r.N == 1 ? "—" : F(Unused(r, one), "0.00");
            text.AppendLine($"| {r.Kind} | {r.N:N0} | {r.ColdStart.Range("0")} | {F(r.StartupMs, "0")} | {F(r.FirstRequestMs, "0")} | {unused} | {F((r.AfterLoad - r.AfterStart) / 1024.0 / r.Loaded, "0.0")} | {F(r.LoadMs / r.Loaded, "0.00")} | {r.Request.Spread("0")} | {F(r.RequestKiB, "0.0")} |");
        }
        var big = sizes[^1];
        var o1 = rows.Single(x => x.Kind == "OidcRp" && x.N == 1);
        var oN = rows.Single(x => x.Kind == "OidcRp" && x.N == big);
        var startupRatio = oN.ColdStart.Median / o1.ColdStart.Median;
        var unusedKiB = Unused(oN, o1);
        var loadedKiB = rows.Where(x => x.Kind == "OidcRp").Max(x => (x.AfterLoad - x.AfterStart) / 1024.0 / x.Loaded);
        text.AppendLine()
            .AppendLine($"- Start-up with {big:N0} ≤ 2× start-up with 1 (cold process start): {F(oN.ColdStart.Median, "0")} / {F(o1.ColdStart.Median, "0")} ms = {F(startupRatio, "0.00")}× → {Verdict.Met(startupRatio <= 2)}")
            .AppendLine($"  (warm, in a process that has already run an app: {F(oN.StartupMs, "0")} / {F(o1.StartupMs, "0")} ms = {F(oN.StartupMs / o1.StartupMs, "0.00")}×; what grows with N is binding and validating the options, the scheme table and the callback path map, about {F((oN.StartupMs - o1.StartupMs) * 1000 / big, "0.0")} µs per provider)")
            .AppendLine($"- ≤ 5 KB per unused provider: {F(unusedKiB, "0.00")} KiB → {Verdict.Met(unusedKiB * 1.024 <= 5)}")
            .AppendLine($"- ≤ 100 KB per loaded provider: at most {F(loadedKiB, "0.0")} KiB → {Verdict.Met(loadedKiB * 1.024 <= 100)}")
            .AppendLine($"- Per-request cost of the authentication middleware with {big:N0} providers: {oN.Request.Spread("0")} µs against {o1.Request.Spread("0")} µs with 1.")
            .AppendLine();
        return text.ToString();
    }

    private sealed record Row(string Kind, int N, int Loaded, double StartupMs, double FirstRequestMs, long Before, long AfterStart, long AfterLoad,
        double LoadMs, Stats Request, double RequestKiB)
    {
        public Stats ColdStart { get; set; } = Stats.Of([]);
    }

    private static double Unused(Row r, Row one) => ((r.AfterStart - r.Before) - (one.AfterStart - one.Before)) / 1024.0 / (r.N - 1);

    /// <summary>Child process: an app with <paramref name="n"/> providers (never fetched) answers one request; prints "ready".</summary>
    public static async Task ChildAsync(string kind, int n)
    {
        var providers = Enumerable.Range(0, n).Select(i => new RpProvider($"p{i}", $"http://127.0.0.1:9/p{i}", "bench-client", "bench-secret-value")).ToList();
        await using var app = kind == "OidcRp" ? await BenchApps.StartOidcRpAsync(providers) : await BenchApps.StartStockAsync(providers);
        using var http = new HttpClient();
        await http.GetStringAsync(app.BaseUrl + "/ping");
        Console.WriteLine("ready");
    }

    private static async Task<double> ColdStartAsync(string kind, int n) =>
        (await Child.RunAsync("ready", "scale-startup", kind, n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ElapsedMs;

    private static async Task<Row> OneAsync(MultiIssuerOp op, string kind, int n, int load, int requests)
    {
        var providers = Enumerable.Range(0, n).Select(i => new RpProvider($"p{i}", op.Issuer($"p{i}"), "bench-client", "bench-secret-value")).ToList();
        CallbackBenchmark.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var started = Stopwatch.GetTimestamp();
        await using var app = kind == "OidcRp" ? await BenchApps.StartOidcRpAsync(providers) : await BenchApps.StartStockAsync(providers);
        var listening = Stopwatch.GetElapsedTime(started);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(app.BaseUrl) };
        (await http.GetAsync(new Uri("/ping", UriKind.Relative))).EnsureSuccessStatusCode();
        var firstAnswered = Stopwatch.GetElapsedTime(started);
        var afterStart = GC.GetTotalMemory(forceFullCollection: true);

        var loadWatch = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < load)
            {
                using var response = await http.GetAsync(new Uri($"/auth/oidc/p{next}/login", UriKind.Relative));
                if (response.StatusCode != System.Net.HttpStatusCode.Found || response.Headers.Location?.AbsoluteUri.StartsWith(op.BaseUrl, StringComparison.Ordinal) != true)
                {
                    throw new InvalidOperationException($"{kind}: login start at p{next} answered {(int)response.StatusCode}");
                }
            }
        })));
        var loadMs = loadWatch.Elapsed.TotalMilliseconds;
        var afterLoad = GC.GetTotalMemory(forceFullCollection: true);

        var times = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            (await http.GetAsync(new Uri("/ping", UriKind.Relative))).Dispose();
        }
        var meter = Meter.Now();
        for (var i = 0; i < requests; i++)
        {
            var t = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(new Uri("/ping", UriKind.Relative));
            times.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }
        var perRequest = meter.Since().Allocated / 1024.0 / requests;
        Console.Error.WriteLine($"  scale {kind} {n}: start {listening.TotalMilliseconds:0} ms, first answer {firstAnswered.TotalMilliseconds:0} ms, load {loadMs:0} ms");
        return new Row(kind, n, load, firstAnswered.TotalMilliseconds, (firstAnswered - listening).TotalMilliseconds, before, afterStart, afterLoad, loadMs, Stats.Of(times), perRequest);
    }
}
