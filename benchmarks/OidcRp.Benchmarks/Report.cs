using System.Globalization;
using System.Runtime.InteropServices;

namespace OidcRp.Benchmarks;

/// <summary>Statistics and the header every report carries (machine, .NET, date).</summary>
internal static class Report
{
    public static string Header(string title) =>
        $"""
        # {title}

        - date (UTC): {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm}
        - machine: {Environment.ProcessorCount} logical cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024 * 1024.0):0.0} GiB, {RuntimeInformation.OSDescription.Trim()} ({RuntimeInformation.OSArchitecture})
        - runtime: {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}

        """;

    /// <summary>How this run was made: full or smoke, how long it took, the load on the machine when it started.</summary>
    public static string Preamble(bool smoke, TimeSpan elapsed, string? note)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"- run: {(smoke ? "smoke (one short iteration each: the numbers mean nothing)" : "full")}, {elapsed.TotalMinutes:0.0} minutes; load average at start {LoadAtStart}");
        text.AppendLine("- OPs and relying parties on Kestrel at 127.0.0.1 (loopback, no network) in this process, the load driver beside them on the same cores;")
            .AppendLine("  the cold starts and the isolated login comparison run in child processes of this program");
        if (note is not null)
        {
            text.AppendLine("- note: " + note);
        }
        return text.AppendLine().ToString();
    }

    /// <summary>The 1/5/15-minute load average when the process started (Linux), to show a busy machine.</summary>
    public static readonly string LoadAtStart = File.Exists("/proc/loadavg")
        ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
        : "unknown";

    /// <summary>Turns a stand-alone report (with its own header) into a section of the combined one.</summary>
    public static string Demote(string report, string title)
    {
        var lines = report.Split('\n').ToList();
        var body = lines.SkipWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Select(l => l.StartsWith('#') ? "#" + l : l);
        return $"## {title}\n\n" + string.Join('\n', body);
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var index = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OidcRp.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
