using OidcRp.Benchmarks;

// dotnet run -c Release --project benchmarks/OidcRp.Benchmarks -- audit [--smoke] [--rows N] [--logins N] [--out FILE]
var name = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "audit";
var smoke = args.Contains("--smoke");
string? Option(string key) => args.SkipWhile(a => a != key).Skip(1).FirstOrDefault();
switch (name)
{
    case "audit":
        var report = await AuditStoreBenchmark.RunAsync(
            rows: int.Parse(Option("--rows") ?? (smoke ? "500" : "50000"), System.Globalization.CultureInfo.InvariantCulture),
            logins: int.Parse(Option("--logins") ?? (smoke ? "10" : "300"), System.Globalization.CultureInfo.InvariantCulture),
            repetitions: smoke ? 1 : 3);
        Console.WriteLine(report);
        var output = Option("--out") ?? (smoke ? null : Path.Combine(Report.RepositoryRoot(), "benchmarks", "results", "audit-store.md"));
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await File.WriteAllTextAsync(output, report);
            Console.WriteLine($"written to {output}");
        }
        return 0;
    default:
        Console.Error.WriteLine($"unknown benchmark '{name}'; known: audit");
        return 2;
}
