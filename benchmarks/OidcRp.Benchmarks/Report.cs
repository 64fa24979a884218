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
