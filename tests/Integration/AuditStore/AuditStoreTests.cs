using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OidcRp.Audit;
using OidcRp.Audit.Sql;

namespace OidcRp.Tests.Integration.AuditStore;

/// <summary>The SQL audit store against real SQLite files and a real PostgreSQL server.</summary>
[Collection(DatabasesCollection.Name)]
public sealed class AuditStoreTests(Databases databases)
{
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    internal static SqlAuditStore NewStore(TestDatabase db, Action<OidcAuditStoreOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new OidcAuditStoreOptions { SpillPath = null };
        configure?.Invoke(options);
        return new SqlAuditStore(db.DataSource, db.Dialect, Options.Create(options), time ?? TimeProvider.System, Meters, NullLogger<SqlAuditStore>.Instance);
    }

    internal static OidcAuditRecord Row(DateTimeOffset at, string provider = "alpha", string category = OidcAuditCategories.LoginSucceeded,
        string outcome = OidcAuditOutcomes.Success) => new()
    {
        Id = Guid.CreateVersion7(at),
        Timestamp = at,
        ProviderId = provider,
        Category = category,
        Outcome = outcome,
    };

    internal static async Task WaitForWrittenAsync(SqlAuditStore store, long expected, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (store.Statistics.Written < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {store.Statistics} of {expected} rows written after {seconds} s");
            await Task.Delay(50);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Every_category_and_field_round_trips(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = NewStore(db);
        await store.StartAsync(CancellationToken.None);
        var start = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1234560); // sub-millisecond part kept to the microsecond
        string[] categories =
        [
            OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered, OidcAuditCategories.KidMismatchUnrecovered,
            OidcAuditCategories.KidMismatchThrottled, OidcAuditCategories.JwksUnreachable, OidcAuditCategories.IdTokenInvalid,
            OidcAuditCategories.CallbackRejected, OidcAuditCategories.AdminRefresh, OidcAuditCategories.AdminAccess,
        ];
        var written = categories.Select((category, i) => Row(start.AddSeconds(i), $"p{i}", category, i % 2 == 0 ? OidcAuditOutcomes.Success : OidcAuditOutcomes.Failure) with
        {
            Reason = $"reason-{i}",
            Kid = $"kid-{i}",
            KeysRefreshed = i % 3 == 0,
            RefreshDuration = i % 3 == 0 ? TimeSpan.FromMilliseconds(12.5 + i) : null,
            Subject = $"subject-{i}",
            ClientIp = "127.0.0.1",
            UserAgent = $"agent-{i}",
            TraceId = $"trace-{i}",
            Actor = i >= 7 ? "alpha:admin" : null,
            KidsBefore = i >= 7 ? ["k1"] : null,
            KidsAfter = i >= 7 ? ["k1", "k2"] : null,
            Count = i + 1,
            TenantId = i % 2 == 0 ? "72f988bf-86f1-41af-91ab-2d7cd011db47" : null,
            Path = i >= 7 ? null : i % 2 == 0 ? OidcAuditPaths.Login : OidcAuditPaths.Bearer,
        }).ToList();

        foreach (var row in written)
        {
            await store.WriteAsync(row, CancellationToken.None);
        }
        await WaitForWrittenAsync(store, written.Count);
        var read = await store.QueryAsync(new OidcAuditQuery { Limit = 100 }, CancellationToken.None);

        Assert.Equal(written.AsEnumerable().Reverse().Select(Comparable), read.Select(Comparable));
        Assert.Equal(written[8].KidsAfter, read[0].KidsAfter);
        Assert.Equal(start.AddSeconds(8), read[0].Timestamp);
        var bearer = await store.QueryAsync(new OidcAuditQuery { Path = OidcAuditPaths.Bearer, Limit = 100 }, CancellationToken.None);
        Assert.Equal([5, 3, 1], bearer.Select(r => int.Parse(r.Kid!["kid-".Length..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Filters_and_keyset_paging_walk_every_row_newest_first_once(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = NewStore(db);
        await store.StartAsync(CancellationToken.None);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var rows = Enumerable.Range(0, 120).Select(i => Row(start.AddSeconds(i / 2), i % 3 == 0 ? "beta" : "alpha",
            i % 4 == 0 ? OidcAuditCategories.KidMismatchRecovered : OidcAuditCategories.LoginSucceeded,
            i % 5 == 0 ? OidcAuditOutcomes.Failure : OidcAuditOutcomes.Success)).ToList(); // pairs share a timestamp
        foreach (var row in rows)
        {
            await store.WriteAsync(row, CancellationToken.None);
        }
        await WaitForWrittenAsync(store, rows.Count);

        var pages = new List<IReadOnlyList<OidcAuditRecord>>();
        Guid? cursor = null;
        do
        {
            var page = await store.QueryAsync(new OidcAuditQuery { ProviderId = "alpha", Limit = 7, Before = cursor }, CancellationToken.None);
            pages.Add(page);
            cursor = page.Count == 7 ? page[^1].Id : null;
        }
        while (cursor is not null);
        var walked = pages.SelectMany(p => p).ToList();
        var expected = rows.Where(r => r.ProviderId == "alpha").OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id.ToString("N"), StringComparer.Ordinal).ToList();

        Assert.Equal(expected.Select(r => r.Id), walked.Select(r => r.Id));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(7, p.Count));
        var recoveredFailures = await store.QueryAsync(new OidcAuditQuery
        {
            Category = OidcAuditCategories.KidMismatchRecovered, Outcome = OidcAuditOutcomes.Failure, From = start.AddSeconds(10), To = start.AddSeconds(50), Limit = 500,
        }, CancellationToken.None);
        Assert.Equal(
            rows.Where(r => r.Category == OidcAuditCategories.KidMismatchRecovered && r.Outcome == OidcAuditOutcomes.Failure
                && r.Timestamp >= start.AddSeconds(10) && r.Timestamp < start.AddSeconds(50)).Select(r => r.Id).OrderBy(i => i),
            recoveredFailures.Select(r => r.Id).OrderBy(i => i));
        Assert.Equal(3, (await store.QueryAsync(new OidcAuditQuery { Limit = 3 }, CancellationToken.None)).Count);
        Assert.Equal(OidcAuditQuery.MaxLimit > 120 ? 120 : OidcAuditQuery.MaxLimit,
            (await store.QueryAsync(new OidcAuditQuery { Limit = 100_000 }, CancellationToken.None)).Count);
        Assert.Empty(await store.QueryAsync(new OidcAuditQuery { Before = Guid.NewGuid() }, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Hostile_strings_are_capped_escaped_and_stored_as_data(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = NewStore(db);
        await store.StartAsync(CancellationToken.None);
        var injection = "x'); DROP TABLE oidcrp_audit; --";
        var hostile = Row(DateTimeOffset.UtcNow) with
        {
            ProviderId = "alpha",
            Reason = injection,
            Kid = "../../etc/passwd\0\r\nSet-Cookie: a=b",
            UserAgent = new string('A', 1024 * 1024) + "\0",
            Subject = "\"; SELECT pg_sleep(10); --",
            TraceId = "\r\n\u2028",
        };

        await store.WriteAsync(hostile, CancellationToken.None);
        await WaitForWrittenAsync(store, 1);
        var read = Assert.Single(await store.QueryAsync(new OidcAuditQuery { Limit = 10 }, CancellationToken.None));

        Assert.Equal(1, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_audit"));
        Assert.Equal(injection, read.Reason);
        Assert.Equal("../../etc/passwd\\u0000\\u000d\\u000aSet-Cookie: a=b", read.Kid);
        Assert.True(read.UserAgent!.Length <= 257, $"user agent of {read.UserAgent.Length} characters");
        Assert.Equal("\"; SELECT pg_sleep(10); --", read.Subject);
        Assert.Equal("\\u000d\\u000a\\u2028", read.TraceId);
        Assert.DoesNotContain(read.GetType().GetProperties().Select(p => p.GetValue(read) as string), v => v is not null && v.Any(char.IsControl));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Retention_deletes_only_rows_older_than_the_maximum_age_in_bounded_batches(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var store = NewStore(db, time: time);
        await store.StartAsync(CancellationToken.None);
        // Retention is called directly here, on a store whose background pruner is not running.
        await using var pruner = NewStore(db, o => { o.MaxAge = TimeSpan.FromDays(30); o.PruneBatchSize = 7; }, time);
        var now = time.GetUtcNow();
        var old = Enumerable.Range(0, 40).Select(i => Row(now.AddDays(-31).AddMinutes(i))).ToList();
        var recent = Enumerable.Range(0, 10).Select(i => Row(now.AddDays(-29).AddMinutes(i))).ToList();
        foreach (var row in old.Concat(recent))
        {
            await store.WriteAsync(row, CancellationToken.None);
        }
        await WaitForWrittenAsync(store, 50);

        var deleted = await pruner.PruneAsync(CancellationToken.None);

        Assert.Equal(40, deleted);
        var left = await store.QueryAsync(new OidcAuditQuery { Limit = 500 }, CancellationToken.None);
        Assert.Equal(recent.Select(r => r.Id).OrderBy(i => i), left.Select(r => r.Id).OrderBy(i => i));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Graceful_shutdown_with_a_full_buffer_writes_every_row(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var spill = databases.SpillPath();
        var store = NewStore(db, o => { o.BufferCapacity = 500; o.BatchSize = 50; o.SpillPath = spill; });
        await store.StartAsync(CancellationToken.None);
        var start = DateTimeOffset.UtcNow;
        var rows = Enumerable.Range(0, 3000).Select(i => Row(start.AddTicks(i * 10))).ToList();

        foreach (var row in rows)
        {
            await store.WriteAsync(row, CancellationToken.None); // far faster than the writer: the buffer fills and spills
        }
        var before = store.Statistics;
        await store.FlushAndStopAsync(CancellationToken.None);
        await store.DisposeAsync();

        Assert.True(before.Spilled > 0, $"the buffer never filled: {before}");
        Assert.Equal(3000, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_audit"));
        Assert.Equal(3000, await db.ScalarAsync("SELECT COUNT(DISTINCT id) FROM oidcrp_audit"));
        Assert.Empty(Databases.SpillSegments(spill));
        Assert.Equal((3000L, 0L), (store.Statistics.Written, store.Statistics.Failed));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_version_1_table_gains_the_count_column_and_its_rows_count_one(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var v1 = db.Dialect.Migrations.Single(m => m.Version == 1).Statements;
        var bigInt = kind == "sqlite" ? "INTEGER" : "BIGINT";
        foreach (var sql in v1.Prepend($"CREATE TABLE oidcrp_audit_schema (version INTEGER NOT NULL PRIMARY KEY, applied_at {bigInt} NOT NULL)")
            .Append("INSERT INTO oidcrp_audit_schema (version, applied_at) VALUES (1, 0)")
            .Append("INSERT INTO oidcrp_audit (id, ts, provider_id, category, outcome, keys_refreshed) VALUES ('0190a1b2c3d4e5f60718293a4b5c6d7e', 1, 'alpha', 'login_succeeded', 'success', 0)"))
        {
            await db.ScalarAsync(sql);
        }
        await using var store = NewStore(db);
        await store.StartAsync(CancellationToken.None);
        await store.WriteAsync(Row(DateTimeOffset.UtcNow, category: OidcAuditCategories.CallbackRejected, outcome: OidcAuditOutcomes.Failure) with { Count = 499 },
            CancellationToken.None);
        await WaitForWrittenAsync(store, 1);

        var rows = await store.QueryAsync(new OidcAuditQuery(), CancellationToken.None);
        Assert.Equal([499, 1], rows.Select(r => r.Count));
        Assert.Equal(db.Dialect.Migrations.Max(m => m.Version), await db.ScalarAsync("SELECT MAX(version) FROM oidcrp_audit_schema"));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_version_2_table_gains_the_tenant_column_and_its_rows_have_no_tenant(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var bigInt = kind == "sqlite" ? "INTEGER" : "BIGINT";
        var steps = db.Dialect.Migrations.Where(m => m.Version <= 2).SelectMany(m => m.Statements);
        foreach (var sql in steps.Prepend($"CREATE TABLE oidcrp_audit_schema (version INTEGER NOT NULL PRIMARY KEY, applied_at {bigInt} NOT NULL)")
            .Append("INSERT INTO oidcrp_audit_schema (version, applied_at) VALUES (1, 0)")
            .Append("INSERT INTO oidcrp_audit_schema (version, applied_at) VALUES (2, 0)")
            .Append("INSERT INTO oidcrp_audit (id, ts, provider_id, category, outcome, keys_refreshed, event_count) VALUES ('0190a1b2c3d4e5f60718293a4b5c6d7e', 1, 'alpha', 'login_succeeded', 'success', 0, 1)"))
        {
            await db.ScalarAsync(sql);
        }
        await using var store = NewStore(db);
        await store.StartAsync(CancellationToken.None);
        await store.WriteAsync(Row(DateTimeOffset.UtcNow, "entra") with { TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47", Subject = "alice" },
            CancellationToken.None);
        await WaitForWrittenAsync(store, 1);

        var rows = await store.QueryAsync(new OidcAuditQuery(), CancellationToken.None);
        Assert.Equal(["72f988bf-86f1-41af-91ab-2d7cd011db47", null], rows.Select(r => r.TenantId));
        Assert.Equal(db.Dialect.Migrations.Max(m => m.Version), await db.ScalarAsync("SELECT MAX(version) FROM oidcrp_audit_schema"));
    }

    [Fact]
    public async Task Two_instances_migrate_and_write_one_postgresql_table_at_once()
    {
        await using var db = await databases.CreateAsync("postgresql");
        await using var first = NewStore(db);
        await using var second = NewStore(db);

        await Task.WhenAll(first.StartAsync(CancellationToken.None), second.StartAsync(CancellationToken.None));
        var start = DateTimeOffset.UtcNow;
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 500; i++) await first.WriteAsync(Row(start.AddTicks(i), "alpha"), CancellationToken.None); }),
            Task.Run(async () => { for (var i = 0; i < 500; i++) await second.WriteAsync(Row(start.AddTicks(i), "beta"), CancellationToken.None); }));
        await WaitForWrittenAsync(first, 500);
        await WaitForWrittenAsync(second, 500);

        Assert.Equal(1000, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_audit"));
        // One row per migration step, however many instances ran it.
        Assert.Equal(db.Dialect.Migrations.Count, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_audit_schema"));
        Assert.Equal(db.Dialect.Migrations.Count, await db.ScalarAsync("SELECT COUNT(DISTINCT version) FROM oidcrp_audit_schema"));
        Assert.Equal(500, (await first.QueryAsync(new OidcAuditQuery { ProviderId = "beta", Limit = 500 }, CancellationToken.None)).Count);
    }

    private static object Comparable(OidcAuditRecord r) => new
    {
        r.Id, r.Timestamp, r.ProviderId, r.Category, r.Outcome, r.Reason, r.Kid, r.KeysRefreshed, r.RefreshDuration, r.Subject, r.ClientIp,
        r.UserAgent, r.TraceId, r.Actor, Before = string.Join(",", r.KidsBefore ?? []), After = string.Join(",", r.KidsAfter ?? []), r.Count, r.TenantId, r.Path,
    };
}
