using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OidcRp.Audit;
using OidcRp.Audit.Sql;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Integration.Scenarios;
using OidcRp.Tests.Support;
using Xunit.Abstractions;

namespace OidcRp.Tests.Integration.AuditStore;

/// <summary>The database goes away and comes back: no login waits on it and no audit row is lost or doubled.</summary>
[Collection(DatabasesCollection.Name)]
public sealed class AuditOutageTests(Databases databases, ITestOutputHelper output)
{
    [Fact]
    public async Task PostgreSQL_stopped_for_30_seconds_in_the_middle_of_200_logins_loses_and_doubles_no_row()
    {
        await using var db = await databases.CreateAsync("postgresql");
        var spill = databases.SpillPath();
        var port = RpApp.FreePort();
        await using var issuer = await new OpenIddictOp().StartIssuerAsync("alpha", new OpClient(
            [$"http://127.0.0.1:{port}/auth/oidc/alpha/callback"], []));
        await using var rp = await RpApp.StartAsync([new RpProvider("alpha", issuer.Authority, issuer.ClientId, issuer.ClientSecret)], port: port,
            services: s => s.AddOidcRpAuditStore(SqlAuditDialect.PostgreSql, _ => NpgsqlDataSource.Create(db.ConnectionString), o =>
            {
                o.BufferCapacity = 20; // small, so the outage overflows it into the spill file
                o.SpillPath = spill;
                o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            }));
        var store = rp.Services.GetRequiredService<SqlAuditStore>();
        var before = new List<double>();
        var during = new List<double>();

        for (var i = 0; i < 100; i++)
        {
            before.Add(await TimedLoginAsync(rp));
        }
        await databases.StopPostgresAsync();
        var down = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                during.Add(await TimedLoginAsync(rp));
            }
            var duringStats = store.Statistics;
            await Task.Delay(TimeSpan.FromSeconds(30) - down.Elapsed);
            await databases.StartPostgresAsync();
            // 200 login rows and the one keys_fetched row of the first load (the OP's keys never change here).
            await AuditStoreTests.WaitForWrittenAsync(store, 201);

            Assert.True(duringStats.Spilled > 0, $"nothing reached the spill file: {duringStats}");
        }
        finally
        {
            if (!databases.PostgresRunning)
            {
                await databases.StartPostgresAsync();
            }
        }

        Assert.Equal(201, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_audit"));
        Assert.Equal(201, await db.ScalarAsync("SELECT COUNT(DISTINCT id) FROM oidcrp_audit"));
        Assert.Equal(200, await db.ScalarAsync($"SELECT COUNT(*) FROM oidcrp_audit WHERE category = '{OidcAuditCategories.LoginSucceeded}'"));
        Assert.Equal(1, await db.ScalarAsync($"SELECT COUNT(*) FROM oidcrp_audit WHERE category = '{OidcAuditCategories.KeysFetched}' AND reason = '{OidcRpReasons.FetchInitial}'"));
        Assert.Equal(0, store.Statistics.Failed);
        Assert.Empty(Databases.SpillSegments(spill));
        output.WriteLine($"login ms with the database up: median {Median(before):0.0}, max {before.Max():0.0}; " +
            $"while it was down: median {Median(during):0.0}, max {during.Max():0.0}; store {store.Statistics}");
    }

    [Fact]
    public async Task Rows_held_at_a_shutdown_with_the_database_down_are_spilled_and_written_by_the_next_start()
    {
        await using var db = await databases.CreateAsync("postgresql");
        var spill = databases.SpillPath();
        var first = AuditStoreTests.NewStore(db, o => { o.SpillPath = spill; o.ShutdownTimeout = TimeSpan.FromSeconds(2); o.MaxRetryDelay = TimeSpan.FromMilliseconds(200); });
        await first.StartAsync(CancellationToken.None);
        var start = DateTimeOffset.UtcNow;
        var rows = Enumerable.Range(0, 100).Select(i => AuditStoreTests.Row(start.AddMilliseconds(i))).ToList();
        foreach (var row in rows.Take(50))
        {
            await first.WriteAsync(row, CancellationToken.None);
        }
        await AuditStoreTests.WaitForWrittenAsync(first, 50);

        await databases.StopPostgresAsync();
        try
        {
            foreach (var row in rows.Skip(50))
            {
                await first.WriteAsync(row, CancellationToken.None);
            }
            await first.FlushAndStopAsync(CancellationToken.None); // gives up after ShutdownTimeout: the rows go to the spill file
            await first.DisposeAsync();
            Assert.NotEmpty(Databases.SpillSegments(spill));
            Assert.Equal(50, first.Statistics.Written);
        }
        finally
        {
            await databases.StartPostgresAsync();
        }
        await using var second = AuditStoreTests.NewStore(db, o => o.SpillPath = spill);
        await second.StartAsync(CancellationToken.None);
        await AuditStoreTests.WaitForWrittenAsync(second, 50);

        var stored = await second.QueryAsync(new OidcAuditQuery { Limit = 500 }, CancellationToken.None);
        Assert.Equal(rows.Select(r => r.Id).OrderBy(i => i), stored.Select(r => r.Id).OrderBy(i => i));
        Assert.Empty(Databases.SpillSegments(spill));
    }

    private static async Task<double> TimedLoginAsync(RpApp rp)
    {
        var watch = Stopwatch.StartNew();
        using var browser = rp.Browser();
        await Expect.SignedIn(browser.LoginAsync("alpha"));
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
