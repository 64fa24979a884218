using System.Diagnostics;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>Median and spread of a sample: what every table in the report shows.</summary>
internal sealed record Stats(double Median, double P10, double P90, double P99, double Min, double Max, int Count)
{
    public static Stats Of(IReadOnlyList<double> values) => values.Count == 0
        ? new Stats(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0)
        : new Stats(Percentile(values, 50), Percentile(values, 10), Percentile(values, 90), Percentile(values, 99),
            values.Min(), values.Max(), values.Count);

    /// <summary>"median (p10–p90)" in the given format.</summary>
    public string Spread(string format = "0.00") => $"{F(Median, format)} ({F(P10, format)}–{F(P90, format)})";

    /// <summary>"median (min–max)" in the given format.</summary>
    public string Range(string format = "0.00") => $"{F(Median, format)} ({F(Min, format)}–{F(Max, format)})";
}

/// <summary>Process-wide counters read around a measured section.</summary>
internal readonly record struct Meter(long AllocatedBytes, TimeSpan Cpu, long Timestamp)
{
    public static Meter Now() => new(GC.GetTotalAllocatedBytes(precise: true), Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.GetTimestamp());

    public (long Allocated, TimeSpan Cpu, TimeSpan Elapsed) Since()
    {
        var now = Now();
        return (now.AllocatedBytes - AllocatedBytes, now.Cpu - Cpu, Stopwatch.GetElapsedTime(Timestamp, now.Timestamp));
    }
}

/// <summary>Target bookkeeping: every comparison states its target and whether this run met it.</summary>
internal static class Verdict
{
    public static string Met(bool met) => met ? "**met**" : "**missed**";
}
