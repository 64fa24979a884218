namespace OidcRp.Benchmarks;

internal static class FloodBenchmark
{
    public static Task<string> RunAsync(bool smoke) => Task.FromResult("## Flood: todo\n");
}
