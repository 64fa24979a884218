using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.StackExchangeRedis;
using OidcRp.Tests.Support;
using static OidcRp.Benchmarks.Report;

namespace OidcRp.Benchmarks;

/// <summary>
/// The farm (issue 17): 1 and 3 instances of the test RP, each with and without the shared layer on a real
/// redis-server (<c>AddOidcRpRedis</c>), over one test OP whose JWKS requests are counted: JWKS fetches per rotation
/// (the first login after it on every instance), time until every instance holds a new key after one instance's
/// refresh, forged-kid fetches in one window, and login throughput and p99 (the cost of the shared layer per login).
/// </summary>
internal static class FarmBenchmark
{
    private const int Forged = 45;

    public static async Task<string> RunAsync(bool smoke)
    {
        int rotations = smoke ? 1 : 5, logins = smoke ? 30 : 300;
        var rows = new List<string>();
        foreach (var instances in new[] { 1, 3 })
        {
            foreach (var shared in new[] { false, true })
            {
                rows.Add(await RunOneAsync(instances, shared, rotations, logins));
            }
        }
        var text = new StringBuilder("## Farm: instances sharing Redis\n\n");
        text.AppendLine($"Per configuration: a fresh test OP, the instances (Data Protection keys shared through a directory) and, when shared, a")
            .AppendLine($"real `redis-server` on loopback. Rotations: {rotations}, each the OP dropping its old key, then the first login on every")
            .AppendLine("instance; fetches counted at the OP. Propagation: after a rotation, from the start of an admin refresh on the first instance (its own fetch included), polling (10 ms)")
            .AppendLine($"until every instance holds the new kid (5 s cap). Forged kids: {Forged} bearer tokens with distinct unknown kids spread")
            .AppendLine($"round-robin over the instances in one kid-miss window. Logins: {logins} whole logins (authorize, OP, callback, token),")
            .AppendLine("4 concurrent browsers round-robin over the instances; latency per login from the RP's login URL to its final redirect.").AppendLine();
        text.AppendLine("| instances | shared (Redis) | JWKS fetches per rotation | all instances hold new keys after | forged-kid fetches per window | logins/s | login p50 ms | login p99 ms |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            text.AppendLine(row);
        }
        return text.AppendLine().ToString();
    }

    private static async Task<string> RunOneAsync(int instances, bool shared, int rotations, int logins)
    {
        Console.Error.WriteLine($"  farm: {instances} instance(s), shared {shared}");
        await using var redis = shared ? await RedisServer.StartAsync() : null;
        await using var op = await TestOp.StartAsync();
        var keys = Path.Combine(Path.GetTempPath(), $"oidcrp-farm-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(keys);
        var rps = new List<RpApp>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                var name = $"rp{i + 1}";
                var rp = await RpApp.StartAsync([op.As("alpha")], bearer: o => o.Audiences.Add("api"), services: s =>
                {
                    s.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("oidcrp-farm-bench");
                    if (redis is not null)
                    {
                        s.AddOidcRpRedis(o =>
                        {
                            o.Configuration = redis.Configuration;
                            o.KeyPrefix = "farmbench:";
                            o.SharedKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(b => (byte)b).ToArray());
                            o.InstanceName = name;
                        });
                    }
                });
                rp.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect("x"u8.ToArray());
                rps.Add(rp);
            }
            foreach (var rp in rps)
            {
                await LoginAsync(rp); // warm-up: keys loaded, JIT done
            }

            // JWKS fetches per rotation: the first login after it on every instance.
            var fetches = new List<double>();
            for (var r = 0; r < rotations; r++)
            {
                foreach (var rp in rps)
                {
                    rp.Time.Advance(TimeSpan.FromMinutes(1)); // a fresh kid-miss window per rotation
                }
                var before = op.Count("jwks");
                op.Rotate($"rot-{r}", TestOpRotation.DropOld);
                foreach (var rp in rps)
                {
                    await LoginAsync(rp);
                }
                fetches.Add(op.Count("jwks") - before);
            }

            // Propagation: one instance refreshes, how long until all hold the new kid.
            var kid = "prop-key";
            op.Rotate(kid, TestOpRotation.KeepOld);
            var clock = Stopwatch.StartNew();
            await rps[0].Services.GetRequiredService<IOidcProviders>().RefreshAsync("alpha", "bench", CancellationToken.None);
            var held = true;
            while (!rps.All(rp => (rp.Services.GetRequiredService<IOidcProviders>().GetStatus("alpha")?.Kids ?? []).Contains(kid)))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(5))
                {
                    held = false;
                    break;
                }
                await Task.Delay(10);
            }
            var propagation = held ? $"{F(clock.Elapsed.TotalMilliseconds, "0")} ms" : "not within 5 s (no sharing)";

            // Forged kids in one window.
            foreach (var rp in rps)
            {
                rp.Time.Advance(TimeSpan.FromMinutes(1));
            }
            var forgedBefore = op.Count("jwks");
            for (var i = 0; i < Forged; i++)
            {
                await BearerAsync(rps[i % rps.Count], op.CreateAccessToken(kid: $"forged-{i}"));
            }
            var forged = op.Count("jwks") - forgedBefore;

            // Login throughput and latency.
            var latencies = new List<double>();
            var next = -1;
            var total = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < logins)
                {
                    var one = Stopwatch.StartNew();
                    await LoginAsync(rps[n % rps.Count]);
                    lock (latencies)
                    {
                        latencies.Add(one.Elapsed.TotalMilliseconds);
                    }
                }
            }));
            var perSecond = logins / total.Elapsed.TotalSeconds;
            return $"| {instances} | {(shared ? "yes" : "no")} | {F(fetches.Average(), "0.0")} (min {fetches.Min()}, max {fetches.Max()}) | {propagation} | {forged} | "
                + $"{F(perSecond, "0")} | {F(Percentile(latencies, 50), "0.0")} | {F(Percentile(latencies, 99), "0.0")} |";
        }
        finally
        {
            foreach (var rp in rps)
            {
                await rp.DisposeAsync();
            }
            try
            {
                Directory.Delete(keys, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task LoginAsync(RpApp rp)
    {
        using var browser = rp.Browser();
        using var response = await browser.LoginAsync("alpha");
        if (response.StatusCode != HttpStatusCode.Found)
        {
            throw new InvalidOperationException($"a farm login failed: {(int)response.StatusCode}");
        }
    }

    private static async Task BearerAsync(RpApp rp, string token)
    {
        using var client = rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
    }
}
