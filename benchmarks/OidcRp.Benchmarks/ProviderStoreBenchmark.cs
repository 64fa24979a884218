using System.Data.Common;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OidcRp.Providers.Sql;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// The SQL provider store: what one lookup costs (by id, by callback path, a miss) with 10,000 providers stored, on
/// SQLite and PostgreSQL, and how fast providers are saved one by one.
/// </summary>
internal static class ProviderStoreBenchmark
{
    public static async Task<string> RunAsync(int rows, int lookups)
    {
        await using var postgres = await PostgresServer.StartAsync();
        var text = new StringBuilder(Header("SQL provider store"));
        text.AppendLine($"- load average at start (1/5/15 min): {LoadAtStart}");
        text.AppendLine().AppendLine("## Lookup cost").AppendLine();
        text.AppendLine($"{rows:N0} providers saved one by one through `SaveAsync` (each its own transaction: version bump and")
            .AppendLine("upsert; client secret protected with Data Protection), then, after 200 warm-up lookups, " + $"{lookups:N0} sequential lookups of random")
            .AppendLine("providers through the store's public `IOidcProviderStore` methods, timed one by one. A hit includes reading the row,")
            .AppendLine("parsing its settings JSON and unprotecting its secret. PostgreSQL is a local server on 127.0.0.1 with fsync off,")
            .AppendLine("SQLite a file in the temp directory (WAL journal). Times in microseconds.").AppendLine();
        text.AppendLine("| database | lookup | median | p95 | p99 | mean |").AppendLine("|---|---|---|---|---|---|");
        var saves = new List<string>();
        foreach (var kind in new[] { "SQLite", "PostgreSQL" })
        {
            DbDataSource dataSource;
            SqlProviderStoreDialect dialect;
            if (kind == "SQLite")
            {
                dataSource = SqliteFactory.Instance.CreateDataSource($"Data Source={Path.Combine(postgres.Root, "providers.db")}");
                dialect = SqlProviderStoreDialect.Sqlite;
            }
            else
            {
                dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("providers"));
                dialect = SqlProviderStoreDialect.PostgreSql;
            }
            await using (dataSource)
            {
                await using var store = new SqlOidcProviderStore(dataSource, dialect, Options.Create(new OidcProviderStoreOptions { PollInterval = null }),
                    new EphemeralDataProtectionProvider(), TimeProvider.System, NullLogger<SqlOidcProviderStore>.Instance);
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < rows; i++)
                {
                    var result = await store.SaveAsync(Provider(i), "bench");
                    if (!result.Succeeded)
                    {
                        throw new InvalidOperationException(string.Join(" ", result.Errors));
                    }
                }
                saves.Add($"{kind} {F(rows / watch.Elapsed.TotalSeconds, "N0")} saves/s");
                var random = new Random(20261202);
                (string Name, Func<int, Task<object?>> Lookup)[] cases =
                [
                    ("by id (hit)", async i => await store.FindByIdAsync($"Tenant-{i:00000}", CancellationToken.None)),
                    ("by callback path (hit)", async i => await store.FindByCallbackPathAsync($"/auth/oidc/tenant-{i:00000}/callback", CancellationToken.None)),
                    ("by callback path (miss)", async i => await store.FindByCallbackPathAsync($"/signin-oidc-{i}", CancellationToken.None)),
                ];
                foreach (var (name, lookup) in cases)
                {
                    for (var i = 0; i < 200; i++)
                    {
                        await lookup(random.Next(rows));
                    }
                    var times = new List<double>(lookups);
                    for (var i = 0; i < lookups; i++)
                    {
                        var target = random.Next(rows);
                        var start = Stopwatch.GetTimestamp();
                        var found = await lookup(target);
                        times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                        if ((found is null) != name.EndsWith("(miss)", StringComparison.Ordinal))
                        {
                            throw new InvalidOperationException($"{kind} {name} {target}: unexpected result");
                        }
                    }
                    text.AppendLine($"| {kind} | {name} | {F(Percentile(times, 50))} | {F(Percentile(times, 95))} | {F(Percentile(times, 99))} | {F(times.Average())} |");
                }
            }
        }
        text.AppendLine().AppendLine($"Saving the {rows:N0} providers one by one: {string.Join(", ", saves)}.");
        return text.ToString();
    }

    private static OidcProviderOptions Provider(int i)
    {
        var provider = new OidcProviderOptions
        {
            Id = $"Tenant-{i:00000}",
            DisplayName = $"Tenant {i}",
            Authority = $"https://login.tenant-{i}.example/realms/main",
            ClientId = $"rp-{i}",
            ClientSecret = $"secret-{i:00000}-0123456789abcdef",
        };
        provider.Scopes.Add("openid");
        provider.Scopes.Add("profile");
        provider.Scopes.Add("email");
        return provider;
    }
}
