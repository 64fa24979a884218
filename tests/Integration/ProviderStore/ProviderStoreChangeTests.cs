using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using OidcRp.Providers.Sql;
using OidcRp.Tests.Integration.AuditStore;
using static OidcRp.Tests.Integration.ProviderStore.ProviderStores;

namespace OidcRp.Tests.Integration.ProviderStore;

/// <summary>The SQL provider store's change signal (local writes and polling) and its migrations.</summary>
[Collection(DatabasesCollection.Name)]
public sealed class ProviderStoreChangeTests(Databases databases)
{
    private static string Describe(ConcurrentQueue<OidcProviderStoreChange> seen) =>
        "signals: " + string.Join("; ", seen.Select(c => c.ProviderIds is null ? "everything" : $"{string.Join(",", c.ProviderIds)} by {c.Actor}"));

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_write_through_the_store_signals_its_subscribers_before_it_returns_and_polls_nothing(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db); // PollInterval null
        var seen = new ConcurrentQueue<OidcProviderStoreChange>();
        using (store.Subscribe(seen.Enqueue))
        {
            Assert.False(store.Polling);
            await store.SaveAsync(Provider("alpha"), "alice");
            await store.RemoveAsync("ALPHA", "bob");
            Assert.False((await store.SaveAsync(Provider("providers"))).Succeeded); // refused: no signal
            Assert.False(await store.RemoveAsync("ghost")); // nothing removed: no signal
        }
        await store.SaveAsync(Provider("gamma"), "carol"); // unsubscribed: not seen

        Assert.Equal(["alpha by alice", "ALPHA by bob"], seen.Select(c => $"{string.Join(",", c.ProviderIds!)} by {c.Actor}"));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_second_instance_sees_saves_and_removals_by_polling_and_its_own_writes_once(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var writer = New(db);
        Assert.True((await writer.SaveAsync(Provider("doomed"), "setup")).Succeeded);
        await using var reader = New(db, o => o.PollInterval = TimeSpan.FromMilliseconds(50));
        var seen = new ConcurrentQueue<OidcProviderStoreChange>();
        Assert.False(reader.Polling); // polling runs only while someone listens
        var subscription = reader.Subscribe(seen.Enqueue);
        Assert.True(reader.Polling);
        await EventuallyAsync(() => seen.Any(c => c.ProviderIds is null), () => Describe(seen)); // the baseline read

        Assert.True((await writer.SaveAsync(Provider("alpha"), "bob")).Succeeded);
        Assert.True((await reader.SaveAsync(Provider("own"), "reader-admin")).Succeeded);
        Assert.True(await writer.RemoveAsync("doomed", "carol"));
        Assert.True((await writer.SaveAsync(Provider("last"), "bob")).Succeeded);
        await EventuallyAsync(() => seen.Any(c => c.ProviderIds?.Contains("last") == true), () => Describe(seen));

        var signals = seen.Where(c => c.ProviderIds is not null).SelectMany(c => c.ProviderIds!.Select(id => (id, c.Actor))).ToList();
        Assert.Contains(("alpha", "bob"), signals);
        Assert.Contains(("doomed", "carol"), signals);
        Assert.Single(signals, s => s.id == "own"); // signalled at the write, skipped by the poll that read it
        Assert.Equal(1, seen.Count(c => c.ProviderIds is null));

        subscription.Dispose();
        Assert.False(reader.Polling);
    }

    [Fact]
    public async Task A_poll_that_fails_is_logged_and_retried_and_never_reaches_the_host()
    {
        var missing = Path.Combine(databases.Root, $"no-such-dir-{Guid.NewGuid():N}", "providers.db");
        await using var dataSource = SqliteFactory.Instance.CreateDataSource($"Data Source={missing};Mode=ReadWrite");
        var logger = new ListLogger<SqlOidcProviderStore>();
        await using var store = new SqlOidcProviderStore(dataSource, SqlProviderStoreDialect.Sqlite,
            Options.Create(new OidcProviderStoreOptions { PollInterval = TimeSpan.FromMilliseconds(20) }), SharedKeys, TimeProvider.System, logger);
        var seen = new ConcurrentQueue<OidcProviderStoreChange>();

        await store.StartAsync(CancellationToken.None); // a database that is away does not stop the app either
        using (store.Subscribe(seen.Enqueue))
        {
            await EventuallyAsync(() => logger.Count(1456) >= 3, () => $"{logger.Count(1456)} failed polls logged");
        }

        Assert.Empty(seen);
        Assert.Equal(1, logger.Count(1451));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Instances_migrating_at_once_apply_each_step_once_and_again_changes_nothing(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var stores = Enumerable.Range(0, 6).Select(_ => New(db)).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.EnsureSchemaAsync(CancellationToken.None))));
            await using var later = New(db);
            await later.EnsureSchemaAsync(CancellationToken.None);
            Assert.True((await later.SaveAsync(Provider("alpha"))).Succeeded);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }

        Assert.Equal(1, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_providers_schema"));
        Assert.Equal(1, await db.ScalarAsync("SELECT MAX(version) FROM oidcrp_providers_schema"));
        Assert.Equal(1, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_providers_sequence"));
        Assert.Equal(1, await db.ScalarAsync("SELECT value FROM oidcrp_providers_sequence"));
        if (kind == "postgresql")
        {
            // Byte order for the keys whatever the database's collation (the test cluster's is C, so paging alone cannot tell).
            Assert.Equal(3, await db.ScalarAsync(
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'oidcrp_providers' AND collation_name = 'C'"));
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Concurrent_writers_get_distinct_versions_in_commit_order(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var a = New(db);
        await using var b = New(db);
        await a.EnsureSchemaAsync(CancellationToken.None);
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => (i % 2 == 0 ? a : b).SaveAsync(Provider($"p{i % 10}"), $"w{i}"))));

        Assert.All(results, r => Assert.True(r.Succeeded, string.Join(" ", r.Errors)));
        Assert.Equal(40, results.Select(r => r.Version).Distinct().Count());
        Assert.Equal(40, await db.ScalarAsync("SELECT value FROM oidcrp_providers_sequence"));
        Assert.Equal(10, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_providers"));
    }
}
