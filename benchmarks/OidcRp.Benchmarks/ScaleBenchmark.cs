namespace OidcRp.Benchmarks;

internal static class ScaleBenchmark
{
    public static Task<string> RunAsync(bool smoke) => Task.FromResult("## Scale: todo\n");
}
