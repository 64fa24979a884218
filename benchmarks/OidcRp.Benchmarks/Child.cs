using System.Diagnostics;

namespace OidcRp.Benchmarks;

/// <summary>Runs this program again as a child process and waits for its line that starts with <paramref name="marker"/>.</summary>
internal static class Child
{
    public static async Task<(string Line, double ElapsedMs)> RunAsync(string marker, params string[] args)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Child).Assembly.Location);
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var watch = Stopwatch.StartNew();
        using var child = Process.Start(start)!;
        var errors = child.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await child.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith(marker, StringComparison.Ordinal))
        {
        }
        var elapsed = watch.Elapsed.TotalMilliseconds;
        await child.WaitForExitAsync();
        if (line is null || child.ExitCode != 0)
        {
            throw new InvalidOperationException($"child '{string.Join(' ', args)}' failed: {await errors}");
        }
        return (line, elapsed);
    }
}
