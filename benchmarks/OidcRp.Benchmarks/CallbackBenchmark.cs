namespace OidcRp.Benchmarks;

internal static class CallbackBenchmark
{
    public static Task<string> RunAsync(bool smoke) => Task.FromResult("## Callback: todo\n");
}
