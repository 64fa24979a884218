namespace OidcRp.Benchmarks;

internal static class HerdBenchmark
{
    public static Task<string> RunAsync(bool smoke) => Task.FromResult("## Herd: todo\n");
}
