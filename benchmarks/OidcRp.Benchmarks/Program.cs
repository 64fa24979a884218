using System.Globalization;
using System.Text;
using OidcRp.Benchmarks;

// dotnet run -c Release --project benchmarks/OidcRp.Benchmarks -- <name> [--smoke] [--out FILE]
//   --note TEXT adds a line to the report (e.g. that the machine was shared)
//   names: all, validation, callback, herd, flood, storm, scale, sources, audit (audit also takes --rows N --logins N),
//   providerstore (also takes --providers N --lookups N), bearer, farm
var name = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var smoke = args.Contains("--smoke");
string? Option(string key) => args.SkipWhile(a => a != key).Skip(1).FirstOrDefault();
int Number(string key, int full, int quick) => int.Parse(Option(key) ?? (smoke ? quick : full).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

if (name == "scale-startup")
{
    await ScaleBenchmark.ChildAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
    return 0;
}

if (name == "callback-child")
{
    await CallbackIsolated.ChildAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
    return 0;
}

var benchmarks = new (string Name, Func<Task<string>> Run)[]
{
    ("validation", () => Task.FromResult(ValidationBenchmark.Run(smoke))),
    ("callback", () => CallbackBenchmark.RunAsync(smoke)),
    ("herd", () => HerdBenchmark.RunAsync(smoke)),
    ("flood", () => FloodBenchmark.RunAsync(smoke)),
    ("storm", () => RotationStormBenchmark.RunAsync(smoke)),
    ("scale", () => ScaleBenchmark.RunAsync(smoke)),
    ("sources", () => ProviderSourcesBenchmark.RunAsync(smoke)),
    ("bearer", () => BearerBenchmark.RunAsync(smoke)),
    ("farm", () => FarmBenchmark.RunAsync(smoke)),
    ("audit", async () =>
    {
        var audit = await AuditStoreBenchmark.RunAsync(rows: Number("--rows", 50000, 500), logins: Number("--logins", 300, 10), repetitions: smoke ? 1 : 3);
        if (name == "audit")
        {
            return audit;
        }
        if (!smoke && Option("--out") is null)
        {
            // The stand-alone audit report stays in step with the combined one: same run, same figures.
            await File.WriteAllTextAsync(Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "audit-store.md"), audit);
        }
        return Report.Demote(audit, "7. Audit cost per login (sinks and the durable audit store)");
    }),
    ("providerstore", async () =>
    {
        var store = await ProviderStoreBenchmark.RunAsync(rows: Number("--providers", 10000, 300), lookups: Number("--lookups", 5000, 200));
        if (name == "providerstore")
        {
            return store;
        }
        if (!smoke && Option("--out") is null)
        {
            await File.WriteAllTextAsync(Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "provider-store.md"), store);
        }
        return Report.Demote(store, "SQL provider store lookups");
    }),
};
var selected = name == "all" ? benchmarks : benchmarks.Where(b => b.Name == name).ToArray();
if (selected.Length == 0)
{
    Console.Error.WriteLine($"unknown benchmark '{name}'; known: all, {string.Join(", ", benchmarks.Select(b => b.Name))}");
    return 2;
}

var started = System.Diagnostics.Stopwatch.StartNew();
var report = new StringBuilder();
foreach (var (benchmark, run) in selected)
{
    var watch = System.Diagnostics.Stopwatch.StartNew();
    Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {benchmark}{(smoke ? " (smoke)" : "")}…");
    var section = await run();
    Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {benchmark} done in {watch.Elapsed.TotalSeconds:0} s");
    report.AppendLine(section);
}
var text = (name is "audit" or "providerstore" ? "" : Report.Header(name == "all" ? "OidcRp benchmarks" : $"OidcRp benchmarks: {name}") + Report.Preamble(smoke, started.Elapsed, Option("--note")))
    + report.ToString();
Console.WriteLine(text);
var defaultOutput = smoke ? null : name switch
{
    "all" => Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "benchmarks.md"),
    "audit" => Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "audit-store.md"),
    "providerstore" => Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "provider-store.md"),
    "bearer" => Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "bearer.md"),
    "farm" => Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "farm.md"),
    _ => null,
};
if ((Option("--out") ?? defaultOutput) is { } output)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    await File.WriteAllTextAsync(output, text);
    Console.Error.WriteLine($"written to {output}");
}
return 0;
