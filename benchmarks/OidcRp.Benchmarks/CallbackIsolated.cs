using System.Globalization;
using System.Text;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// The whole-login comparison again with each side in its own process (its own test OP in that process), so that
/// nothing one side does in the shared process is charged to the other.
/// </summary>
internal static class CallbackIsolated
{
    /// <summary>Child process: <paramref name="count"/> logins after <paramref name="warmUp"/>; prints logins/s, CPU ms and KiB per login.</summary>
    public static async Task ChildAsync(string kind, int warmUp, int count)
    {
        await using var op = await TestOp.StartAsync();
        await using var app = kind == "OidcRp" ? await BenchApps.StartOidcRpAsync([op.As("p0")]) : await BenchApps.StartStockAsync([op.As("p0")]);
        await Logins.ManyAsync(app.BaseUrl, warmUp, 4);
        CallbackBenchmark.Collect();
        var (gen0, gen1, gen2, pause) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var meter = Meter.Now();
        var timings = await Logins.ManyAsync(app.BaseUrl, count, 4);
        var (bytes, cpu, elapsed) = meter.Since();
        if (timings.Any(t => !t.SignedIn))
        {
            throw new InvalidOperationException($"{kind}: a login failed");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result {count / elapsed.TotalSeconds} {cpu.TotalMilliseconds / count} {bytes / 1024.0 / count} "
            + $"{GC.CollectionCount(0) - gen0} {GC.CollectionCount(1) - gen1} {GC.CollectionCount(2) - gen2} {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds * 1000 / count} "
            + $"{GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0}"));
    }

    public static async Task<string> RunAsync(bool smoke)
    {
        int pairs = smoke ? 1 : 5, warmUp = smoke ? 20 : 1000, count = smoke ? 20 : 2000;
        var rows = new List<double[]>[] { [], [] };
        string[] kinds = ["stock", "OidcRp"];
        for (var pair = 0; pair < pairs; pair++)
        {
            foreach (var i in pair % 2 == 0 ? new[] { 0, 1 } : [1, 0])
            {
                var (line, _) = await Child.RunAsync("result", "callback-child", kinds[i],
                    warmUp.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture));
                var v = line.Split(' ').Skip(1).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                rows[i].Add(v);
            }
        }
        var throughput = Stats.Of(rows[1].Zip(rows[0], (o, s) => o[0] / s[0]).ToList());
        var cpu = Stats.Of(rows[1].Zip(rows[0], (o, s) => o[1] / s[1]).ToList());
        Stats Column(int side, int column) => Stats.Of(rows[side].Select(r => r[column]).ToList());
        var text = new StringBuilder();
        text.AppendLine($"Each side in its own process: a child process starts the test OP and one relying party, does {warmUp:N0} warm-up logins and")
            .AppendLine($"then {count:N0} measured ones ({4} in flight); {pairs} pairs of children, alternating which side goes first.").AppendLine();
        text.AppendLine($"| side | logins/s, median (min–max) | process CPU ms per login | KiB allocated per login (process) | GCs gen0 / gen1 / gen2 per {count:N0} logins | GC pause µs per login | heap MiB after |")
            .AppendLine("|---|---|---|---|---|---|---|");
        for (var i = 0; i < 2; i++)
        {
            text.AppendLine($"| {kinds[i]} | {Column(i, 0).Range("0")} | {Column(i, 1).Range("0.00")} | {Column(i, 2).Range("0.0")} | "
                + $"{F(Column(i, 3).Median, "0")} / {F(Column(i, 4).Median, "0")} / {F(Column(i, 5).Median, "0")} | {Column(i, 6).Range("0")} | {Column(i, 7).Range("0.0")} |");
        }
        text.AppendLine()
            .AppendLine($"- Throughput ≥ 0.95× stock, each in its own process: OidcRp/stock per pair {throughput.Range("0.00")}×, median {F(throughput.Median, "0.000")}× → {Verdict.Met(throughput.Median >= 0.95)}")
            .AppendLine($"  (CPU per login, OidcRp/stock per pair: {cpu.Range("0.00")}×)")
            .AppendLine();
        return text.ToString();
    }
}
