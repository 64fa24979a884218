using System.Data.Common;
using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OidcRp.Audit;
using OidcRp.Audit.Sql;
using OidcRp.Samples.DevOp;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// The durable audit store: rows per second into SQLite and PostgreSQL, and the latency a login gains
/// with the store on, through the real pipeline against the development OP on 127.0.0.1.
/// </summary>
internal static class AuditStoreBenchmark
{
    public static async Task<string> RunAsync(int rows, int logins, int repetitions)
    {
        await using var postgres = await PostgresServer.StartAsync();
        var serial = 0;
        async Task<(SqlAuditDialect Dialect, Func<DbDataSource> Create)> DatabaseAsync(string kind)
        {
            var name = $"bench_{++serial}";
            if (kind == "SQLite")
            {
                var file = Path.Combine(postgres.Root, name + ".db");
                return (SqlAuditDialect.Sqlite, () => SqliteFactory.Instance.CreateDataSource($"Data Source={file}"));
            }
            var connectionString = await postgres.CreateDatabaseAsync(name);
            return (SqlAuditDialect.PostgreSql, () => NpgsqlDataSource.Create(connectionString));
        }

        var text = new StringBuilder(Header("Durable audit store"));
        text.AppendLine().AppendLine("## Write throughput").AppendLine();
        text.AppendLine($"{rows:N0} rows handed to `WriteAsync` as fast as one caller can, timed until the background writer has")
            .AppendLine($"committed the last one (batches of 200, one transaction each). {repetitions} runs per database, each into a fresh database;")
            .AppendLine("PostgreSQL is a local server on 127.0.0.1 with fsync off, SQLite a file in the temp directory (WAL journal).").AppendLine();
        text.AppendLine("| database | median rows/s | min | max | accept cost per row (µs, median) |").AppendLine("|---|---|---|---|---|");
        foreach (var kind in new[] { "SQLite", "PostgreSQL" })
        {
            var rates = new List<double>();
            var accepts = new List<double>();
            for (var run = 0; run < repetitions; run++)
            {
                var (dialect, create) = await DatabaseAsync(kind);
                await using var dataSource = create();
                var (rate, accept) = await ThroughputAsync(dataSource, dialect, rows);
                rates.Add(rate);
                accepts.Add(accept);
            }
            text.AppendLine($"| {kind} | {F(Percentile(rates, 50), "N0")} | {F(rates.Min(), "N0")} | {F(rates.Max(), "N0")} | {F(Percentile(accepts, 50), "0.00")} |");
        }

        text.AppendLine().AppendLine("## Latency per login").AppendLine();
        const int rounds = 3;
        text.AppendLine($"{logins} sequential logins per configuration, in {rounds} rounds that rotate the order of the configurations (each")
            .AppendLine("round starts a fresh app and OP and discards its first 20 logins, so JIT warm-up and order favour none). Each login")
            .AppendLine("is a fresh browser-like client doing the whole code flow against the development OP (OpenIddict) in the same")
            .AppendLine("process: login redirect, OP login form, form_post callback, code redemption, ID token validation, cookie sign-in,")
            .AppendLine("audit row. The relying party is the test app (`tests/Support/RpApp`), whose logger keeps every event in memory, so the")
            .AppendLine("logging sink's event is really formatted and stored. Times in milliseconds.").AppendLine();
        text.AppendLine("| audit sink | median | p95 | mean | added median vs the recording sink |").AppendLine("|---|---|---|---|---|");
        string[] kinds = ["recording sink (an in-memory list: the baseline)", "logging sink (OidcRp's default: a log event and a ring of 1,000 rows)", "SQLite", "PostgreSQL"];
        var results = kinds.ToDictionary(k => k, _ => new List<double>());
        var perRound = Math.Max(1, logins / rounds);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var kind in kinds.Skip(round % kinds.Length).Concat(kinds.Take(round % kinds.Length)))
            {
                Action<IServiceCollection>? services = null;
                DbDataSource? dataSource = null;
                if (kind == kinds[1])
                {
                    services = s => s.AddSingleton<IOidcAuditSink, LoggingAuditSink>();
                }
                else if (kind != kinds[0])
                {
                    var (dialect, create) = await DatabaseAsync(kind);
                    dataSource = create();
                    var source = dataSource;
                    services = s => s.AddOidcRpAuditStore(dialect, _ => source, o => o.SpillPath = null);
                }
                results[kind].AddRange(await LoginsAsync(perRound, services));
                if (dataSource is not null)
                {
                    await dataSource.DisposeAsync();
                }
            }
        }
        var baseline = Percentile(results[kinds[0]], 50);
        foreach (var kind in kinds)
        {
            var times = results[kind];
            var median = Percentile(times, 50);
            text.AppendLine($"| {kind} | {F(median, "0.00")} | {F(Percentile(times, 95), "0.00")} | {F(times.Average(), "0.00")} | {(kind == kinds[0] ? "—" : F(median - baseline, "+0.00;-0.00"))} |");
        }
        text.AppendLine().AppendLine("The store never makes a login wait on the database: `WriteAsync` only queues the row, so the added latency is")
            .AppendLine("the cost of queueing (see the accept cost above) plus the background writer's share of the two cores.");
        return text.ToString();
    }

    private static async Task<(double RowsPerSecond, double AcceptMicroseconds)> ThroughputAsync(DbDataSource dataSource, SqlAuditDialect dialect, int rows)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        await using var store = new SqlAuditStore(dataSource, dialect, Options.Create(new OidcAuditStoreOptions { BufferCapacity = rows, SpillPath = null }),
            TimeProvider.System, meters, NullLogger<SqlAuditStore>.Instance);
        await store.StartAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var records = Enumerable.Range(0, rows).Select(i => new OidcAuditRecord
        {
            Id = Guid.CreateVersion7(now.AddTicks(i)),
            Timestamp = now.AddTicks(i),
            ProviderId = i % 2 == 0 ? "alpha" : "beta",
            Category = OidcAuditCategories.LoginSucceeded,
            Outcome = OidcAuditOutcomes.Success,
            Kid = "kid-2026-11",
            Subject = $"user-{i % 1000}",
            ClientIp = "127.0.0.1",
            UserAgent = "Mozilla/5.0 (X11; Linux x86_64) benchmark",
            TraceId = "0af7651916cd43dd8448eb211c80319c",
        }).ToList();
        var watch = Stopwatch.StartNew();
        foreach (var record in records)
        {
            await store.WriteAsync(record, CancellationToken.None);
        }
        var accepted = watch.Elapsed;
        while (store.Statistics.Written < rows)
        {
            await Task.Delay(1);
        }
        var elapsed = watch.Elapsed;
        return (rows / elapsed.TotalSeconds, accepted.TotalMicroseconds / rows);
    }

    private static async Task<List<double>> LoginsAsync(int logins, Action<IServiceCollection>? services)
    {
        var port = RpApp.FreePort();
        await using var op = await DevOpServer.StartAsync(new DevOpIssuerOptions
        {
            Name = "alpha",
            ClientId = "bench-client",
            ClientSecret = "bench-secret-value",
            RedirectUris = [$"http://127.0.0.1:{port}/auth/oidc/alpha/callback"],
        });
        await using var rp = await RpApp.StartAsync([new RpProvider("alpha", op.Issuer, "bench-client", "bench-secret-value")], port: port, services: services);
        var times = new List<double>();
        for (var i = 0; i < logins + 20; i++)
        {
            var watch = Stopwatch.StartNew();
            using var browser = rp.Browser();
            using var response = await browser.LoginAsync("alpha");
            if (response.StatusCode != System.Net.HttpStatusCode.Found)
            {
                throw new InvalidOperationException($"login {i} failed with {(int)response.StatusCode}");
            }
            if (i >= 20)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        return times;
    }
}
