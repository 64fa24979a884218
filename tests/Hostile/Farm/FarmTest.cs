using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Farm;
using OidcRp.StackExchangeRedis;
using OidcRp.Tests.Support;
using StackExchange.Redis;

namespace OidcRp.Tests.Hostile.Farm;

/// <summary>
/// A farm on loopback, fresh for each test: Debian's redis-server on a free port, the test OP (counting its JWKS and
/// token requests), and three instances of the test RP sharing Data Protection keys (a temp directory) and Redis
/// through <c>AddOidcRpRedis</c>, with provider "alpha" and the bearer API.
/// </summary>
public abstract class FarmTest : IAsyncLifetime
{
    protected const string Prefix = "farmtest:";

    /// <summary>The instances' shared MAC key (32 bytes).</summary>
    protected static readonly string SharedKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private string _keys = "";

    protected RedisServer Redis { get; private set; } = null!;

    protected TestOp Op { get; private set; } = null!;

    protected RpApp[] Rps { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        try
        {
            await StartFarmAsync();
        }
        catch
        {
            await DisposeAsync(); // xunit does not dispose a fixture whose start failed: no server left behind
            throw;
        }
    }

    private async Task StartFarmAsync()
    {
        Op = await TestOp.StartAsync();
        _keys = Path.Combine(Path.GetTempPath(), $"oidcrp-farm-dp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_keys);
        var rps = new List<RpApp>();
        for (var i = 1; i <= 3; i++)
        {
            var name = "rp" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var index = i - 1;
            var rp = await RpApp.StartAsync([Op.As("alpha")], Configure, bearer: o => o.Audiences.Add("api"),
                authentication: b => ConfigureAuthentication(index, b), services: s =>
            {
                s.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(_keys)).SetApplicationName("oidcrp-farm-test");
                if (!Shared)
                {
                    return;
                }
                s.AddOidcRpRedis(o =>
                {
                    o.Configuration = Redis.Configuration;
                    o.KeyPrefix = Prefix;
                    o.SharedKey = SharedKey;
                    o.InstanceName = name;
                });
            });
            // The first instance makes the key ring before the others start, so all protect with one key.
            rp.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect("x"u8.ToArray());
            rps.Add(rp);
        }
        Rps = [.. rps];
    }

    /// <summary>False for the control: the same three instances without <c>AddOidcRpRedis</c>.</summary>
    protected virtual bool Shared => true;

    protected virtual void Configure(OidcRpOptions options)
    {
    }

    /// <summary>Per instance (0, 1, 2): more authentication set-up, such as a provider store.</summary>
    protected virtual void ConfigureAuthentication(int instance, Microsoft.AspNetCore.Authentication.AuthenticationBuilder builder)
    {
    }

    public async Task DisposeAsync()
    {
        foreach (var rp in Rps)
        {
            await rp.DisposeAsync();
        }
        if (Op is not null)
        {
            await Op.DisposeAsync();
        }
        await Redis.DisposeAsync();
        try
        {
            Directory.Delete(_keys, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected static async Task<HttpStatusCode> LoginAsync(RpApp rp)
    {
        using var browser = rp.Browser();
        using var response = await browser.LoginAsync("alpha");
        return response.StatusCode;
    }

    protected static async Task<HttpStatusCode> BearerAsync(RpApp rp, string token)
    {
        using var client = rp.ApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    protected static IReadOnlyList<string> Kids(RpApp rp) =>
        rp.Services.GetRequiredService<IOidcProviders>().GetStatus("alpha")?.Kids ?? [];

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; true when it held.</summary>
    protected static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > deadline)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }

    /// <summary>A client of the test's Redis, to look at and tamper with what the instances share.</summary>
    protected async Task<ConnectionMultiplexer> ConnectAsync() => await ConnectionMultiplexer.ConnectAsync(Redis.Configuration);

    protected static bool Available(RpApp rp) => rp.Services.GetRequiredService<IOidcFarmState>().IsAvailable;
}
