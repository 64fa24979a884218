using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Callback;
using OidcRp.Providers;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// 10,000 providers in a store (in memory, counting its queries), in process: what start-up reads, what loading
/// them costs, the per-request cost of the callback dispatcher's store-backed lookup, and "change 1 of 10,000": the
/// time from the store's change signal until the new version answers on the callback path, and the work it took.
/// </summary>
internal static class ProviderSourcesBenchmark
{
    public static async Task<string> RunAsync(bool smoke)
    {
        var n = smoke ? 1_000 : 10_000;
        var lookups = smoke ? 100_000 : 2_000_000;
        var store = new InMemoryProviderStore();
        for (var i = 0; i < n; i++)
        {
            store.Seed(Row(i, "client"));
        }

        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var startWatch = Stopwatch.StartNew();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication("Cookies").AddMultiOidc(_ => { }).AddOidcProviderStore(store);
        await using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<OidcProviderRegistry>();
        var paths = provider.GetRequiredService<CallbackPaths>();
        _ = registry.All.Count();
        paths.EnsureValid();
        var startMs = startWatch.Elapsed.TotalMilliseconds;
        var queriesAtStart = store.FindByIdCalls + store.ListCalls;
        var memoryAtStart = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;

        var loadWatch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            _ = await registry.FindAsync(Id(i), CancellationToken.None);
        }
        var loadMs = loadWatch.Elapsed.TotalMilliseconds;
        var memoryLoaded = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;

        // Per request: what the dispatcher does for a loaded store provider's callback, for an unknown id of the
        // callback shape (remembered as absent after its one query), and for any other path.
        var loaded = new PathString($"/auth/oidc/{Id(n / 2)}/callback");
        var unknown = new PathString("/auth/oidc/nobody/callback");
        var other = new PathString("/products/42");
        _ = await registry.FindAsync("nobody", CancellationToken.None);
        var queriesBefore = store.FindByIdCalls;
        var loadedNs = await PerCallNs(lookups, async () => { _ = paths.TryGetSchemes(loaded, out _); _ = await registry.FindAsync(CallbackDispatcher.StoreProviderId(loaded), CancellationToken.None); });
        var unknownNs = await PerCallNs(lookups, async () => { _ = paths.TryGetSchemes(unknown, out _); _ = await registry.FindAsync(CallbackDispatcher.StoreProviderId(unknown), CancellationToken.None); });
        var otherNs = await PerCallNs(lookups, () => { _ = paths.TryGetSchemes(other, out _); _ = CallbackDispatcher.StoreProviderId(other); return Task.CompletedTask; });
        var queriesDuringLookups = store.FindByIdCalls - queriesBefore;

        // Change 1 of N, five times each: the secret of one provider (keys kept), then its authority (keys dropped).
        var target = n / 2;
        var entriesBefore = registry.All.ToDictionary(e => e.Id, StringComparer.OrdinalIgnoreCase);
        var changes = new List<(string What, Stats Ms, int Queries, bool DropsKeys)>();
        foreach (var (what, edit) in new (string, Func<int, int, OidcProviderOptions>)[]
        {
            ("ClientSecret", (i, round) => Row(i, "client", secret: $"rotated-{round}")),
            ("Authority", (i, round) => Row(i, "client", secret: "rotated-4", authority: $"https://moved{round}.example/")),
        })
        {
            var times = new List<double>();
            var queries = store.FindByIdCalls;
            var drops = false;
            for (var round = 0; round < 5; round++)
            {
                var before = registry.Find(Id(target))!;
                var watch = Stopwatch.StartNew();
                var version = store.Put(edit(target, round));
                while (registry.Find(CallbackDispatcher.StoreProviderId(new PathString($"/auth/oidc/{Id(target)}/callback")))?.Version != version)
                {
                    await Task.Yield();
                }
                times.Add(watch.Elapsed.TotalMilliseconds);
                drops = OidcRp.Providers.Sources.ProviderChanges.DropsKeys(OidcRp.Providers.Sources.ProviderChanges.Changed(before.Options, registry.Find(Id(target))!.Options));
            }
            changes.Add((what, Stats.Of(times), store.FindByIdCalls - queries, drops));
        }
        var others = registry.All.Count(e => e.Id != Id(target) && !ReferenceEquals(entriesBefore[e.Id], e));

        var text = new StringBuilder();
        text.AppendLine(Header($"Provider sources: {n:N0} providers in a store"));
        text.AppendLine($"In process, an in-memory store counting its queries; {lookups:N0} lookups per row, one thread.");
        text.AppendLine();
        text.AppendLine("| measure | value |");
        text.AppendLine("|---|---|");
        text.AppendLine($"| start-up (container, registry, callback paths) | {F(startMs, "0")} ms, {queriesAtStart} store queries, {F(memoryAtStart / 1024.0, "0")} KiB |");
        text.AppendLine($"| loading all {n:N0} on first use | {F(loadMs, "0")} ms ({F(loadMs * 1000 / n)} µs each), {n:N0} store queries, {F((memoryLoaded - memoryAtStart) / (double)n / 1024, "0.0")} KiB each (no keys fetched) |");
        text.AppendLine($"| per request, a loaded store provider's callback path | {F(loadedNs, "0")} ns |");
        text.AppendLine($"| per request, an unknown id on the callback shape (remembered absent) | {F(unknownNs, "0")} ns |");
        text.AppendLine($"| per request, any other path | {F(otherNs, "0")} ns |");
        text.AppendLine($"| store queries during the {3 * lookups:N0} lookups | {queriesDuringLookups} |");
        foreach (var (what, ms, queries, drops) in changes)
        {
            text.AppendLine($"| change 1 of {n:N0} ({what}, 5 times): signal → live on the callback path | {ms.Range()} ms (median, min–max), {queries} store queries in all, keys and metadata {(drops ? "dropped" : "kept")} |");
        }
        text.AppendLine($"| other providers touched by the changes | {others} |");
        return text.ToString();
    }

    private static string Id(int i) => "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static OidcProviderOptions Row(int i, string clientId, string secret = "secret", string? authority = null) => new()
    {
        Id = Id(i), Authority = authority ?? $"https://op.example/{Id(i)}", ClientId = clientId, ClientSecret = secret,
    };

    private static async Task<double> PerCallNs(int count, Func<Task> call)
    {
        for (var i = 0; i < 1000; i++)
        {
            await call();
        }
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await call();
        }
        return watch.Elapsed.TotalMilliseconds * 1_000_000 / count;
    }
}
