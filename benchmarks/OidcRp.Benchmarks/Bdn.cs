using System.Text;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// BenchmarkDotNet in this process (InProcessEmitToolchain): no child project is generated or built, so it
/// works inside <c>dotnet run</c> on a machine without network. The smoke job is one cold iteration.
/// </summary>
internal static class Bdn
{
    public static Summary Run<T>(bool smoke)
    {
        var job = (smoke ? Job.Dry : Job.Default.WithWarmupCount(3).WithIterationCount(15).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)))
            .WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(smoke ? NullLogger.Instance : ConsoleLogger.Default)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "oidcrp-bdn"))
            .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary);
        var summary = BenchmarkRunner.Run<T>(config);
        if (summary.HasCriticalValidationErrors || summary.Reports.Length == 0 || summary.Reports.Any(r => !r.Success))
        {
            throw new InvalidOperationException($"BenchmarkDotNet run of {typeof(T).Name} failed: "
                + string.Join("; ", summary.ValidationErrors.Select(e => e.Message)));
        }
        return summary;
    }

    /// <summary>Per benchmark: time per operation (ns) and bytes allocated per operation.</summary>
    public static Dictionary<string, (Stats Time, long? Allocated)> Results(Summary summary) =>
        summary.Reports.ToDictionary(
            r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name,
            r =>
            {
                var s = r.ResultStatistics!;
                var time = new Stats(s.Median, s.Percentiles.Percentile(10), s.Percentiles.Percentile(90), s.Percentiles.Percentile(99), s.Min, s.Max, s.N);
                return (time, r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase));
            });

    /// <summary>A markdown table: one row per benchmark, times in µs, ratio against <paramref name="baseline"/>.</summary>
    public static string Table(Dictionary<string, (Stats Time, long? Allocated)> results, string baseline, params (string Method, string Label)[] rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| what | median µs | p10–p90 µs | min–max µs | ratio (median) | allocated B/op |").AppendLine("|---|---|---|---|---|---|");
        var b = results[baseline].Time.Median;
        foreach (var (method, label) in rows)
        {
            var (t, alloc) = results[method];
            text.AppendLine($"| {label} | {F(t.Median / 1000, "0.00")} | {F(t.P10 / 1000, "0.00")}–{F(t.P90 / 1000, "0.00")} | {F(t.Min / 1000, "0.00")}–{F(t.Max / 1000, "0.00")} | {F(t.Median / b, "0.00")}× | {alloc?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} |");
        }
        return text.ToString();
    }
}
