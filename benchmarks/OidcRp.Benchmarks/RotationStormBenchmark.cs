using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// A rotation storm: the OP rotates five times, two seconds apart (alternately keeping and dropping the old key),
/// while logins go on back to back. Every rotation falls inside one kid-miss window of the one before, which is what
/// the first edition of the rule (a 30 s cooldown) failed. Failed logins and JWKS fetches, OidcRp beside the stock handler.
/// </summary>
internal static class RotationStormBenchmark
{
    public static async Task<string> RunAsync(bool smoke)
    {
        int rotations = smoke ? 2 : 5, repetitions = smoke ? 1 : 3, workers = 2;
        var gap = TimeSpan.FromSeconds(smoke ? 0.5 : 2);
        var rows = new List<Row>();
        for (var r = 0; r < repetitions; r++)
        {
            foreach (var kind in r % 2 == 0 ? new[] { "OidcRp", "stock" } : ["stock", "OidcRp"])
            {
                rows.Add(await OneAsync(kind, rotations, gap, workers) with { Repetition = r + 1 });
            }
        }

        var text = new StringBuilder("## 5. Rotation storm\n\n");
        text.AppendLine($"{rotations} key rotations at the OP, {gap.TotalSeconds:0.#} s apart (odd ones keep the old key published, even ones drop it), while {workers}")
            .AppendLine("clients log in back to back (fresh browser each, whole code flow), from one second before the first rotation to one second after the")
            .AppendLine($"last. Every rotation is inside the default kid-miss window (30 s) of the one before. Each side gets its own fresh OP and app;")
            .AppendLine($"{repetitions} repetitions, alternating which side goes first. JWKS fetches are counted at the OP during the storm.").AppendLine();
        text.AppendLine("| side | run | logins | failed | failed right after a rotation (first login signed with the new key) | JWKS fetches | recovered (OidcRp audit) | login ms median (p10–p90), p99 |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var x in rows.OrderBy(x => x.Kind == "stock").ThenBy(x => x.Repetition))
        {
            text.AppendLine($"| {x.Kind} | {x.Repetition} | {x.Logins} | {x.Failed} | {x.FailedFirst} of {rotations} | {x.Fetches} | {(x.Kind == "OidcRp" ? x.Recovered.ToString(System.Globalization.CultureInfo.InvariantCulture) : "–")} | {x.Latency.Spread()}, {F(x.Latency.P99, "0.0")} |");
        }
        var oidcRp = rows.Where(x => x.Kind == "OidcRp").ToList();
        text.AppendLine()
            .AppendLine($"- OidcRp fails no login in the storm: {string.Join(", ", oidcRp.Select(x => x.Failed))} → {Verdict.Met(oidcRp.All(x => x.Failed == 0))}")
            .AppendLine($"- One JWKS fetch per rotation ({rotations}): {string.Join(", ", oidcRp.Select(x => x.Fetches))} → {Verdict.Met(oidcRp.All(x => x.Fetches == rotations))}")
            .AppendLine($"- Stock `AddOpenIdConnect` on the same storms: {rows.Where(x => x.Kind == "stock").Sum(x => x.Failed)} of {rows.Where(x => x.Kind == "stock").Sum(x => x.Logins)} logins failed, "
                + $"{rows.Where(x => x.Kind == "stock").Sum(x => x.Fetches)} JWKS fetches in all.")
            .AppendLine();
        return text.ToString();
    }

    private sealed record Row(string Kind, int Logins, int Failed, int FailedFirst, int Fetches, int Recovered, Stats Latency)
    {
        public int Repetition { get; init; }
    }

    private static async Task<Row> OneAsync(string kind, int rotations, TimeSpan gap, int workers)
    {
        await using var op = await TestOp.StartAsync();
        var sink = new RecordingAuditSink();
        await using var rp = kind == "OidcRp"
            ? await BenchApps.StartOidcRpAsync([op.As("p0")], services: s => s.AddSingleton<IOidcAuditSink>(sink))
            : await BenchApps.StartStockAsync([op.As("p0")]);
        await Logins.ManyAsync(rp.BaseUrl, 20, workers);

        var jwksBefore = op.Count("jwks");
        var rowsBefore = sink.Rows.Count;
        using var stop = new CancellationTokenSource();
        var rotatedAt = new List<long>();
        var results = new List<(long Started, LoginTiming Timing)>();
        var logins = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var timing = await Logins.OneAsync(rp.BaseUrl);
                lock (results)
                {
                    results.Add((started, timing));
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1));
        for (var i = 1; i <= rotations; i++)
        {
            op.Rotate($"storm-{i}", i % 2 == 1 ? TestOpRotation.KeepOld : TestOpRotation.DropOld);
            lock (rotatedAt)
            {
                rotatedAt.Add(Stopwatch.GetTimestamp());
            }
            await Task.Delay(i < rotations ? gap : TimeSpan.FromSeconds(1));
        }
        await stop.CancelAsync();
        await Task.WhenAll(logins);

        // The first login started after each rotation is the one that carries the new kid first.
        var ordered = results.OrderBy(x => x.Started).ToList();
        var failedFirst = rotatedAt.Count(at => ordered.FirstOrDefault(x => x.Started > at) is { Timing: { } first } && !first.SignedIn);
        var recovered = sink.Rows.Skip(rowsBefore).Count(r => r.Category == OidcAuditCategories.KidMismatchRecovered);
        return new Row(kind, results.Count, results.Count(x => !x.Timing.SignedIn), failedFirst, op.Count("jwks") - jwksBefore, recovered,
            Stats.Of(results.Select(x => x.Timing.TotalMs).ToList()));
    }
}
