using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.StackExchangeRedis;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Integration.Scenarios;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Farm;

/// <summary>
/// The farm (issue 17) against a real OP, panva's oidc-provider (never skipped): three RP instances on 127.0.0.1
/// sharing Data Protection keys (a temp directory) and a real redis-server through <c>AddOidcRpRedis</c>, one issuer
/// whose client knows the three callbacks, requests counted at the OP.
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class FarmScenarios(OpsFixture ops)
{
    private const string Op = "oidc-provider";

    [Fact]
    public async Task A_rotation_costs_the_farm_one_JWKS_fetch_and_the_first_login_after_it_on_each_instance_succeeds()
    {
        await using var farm = await FarmWorld.StartAsync(ops.Get(Op));
        foreach (var rp in farm.Rps)
        {
            await Expect.SignedIn(farm.LoginAsync(rp));
        }
        var loaded = await farm.Issuer.CountsAsync();
        Assert.Equal(1, loaded.Jwks); // the second and third instances took the first one's shared snapshot

        var kid = await farm.Issuer.RotateAsync(RotationMode.DropOld);
        foreach (var rp in farm.Rps)
        {
            await Expect.SignedIn(farm.LoginAsync(rp)); // each instance's first login after the rotation
        }

        var after = await farm.Issuer.CountsAsync();
        Assert.Equal(loaded.Jwks + 1, after.Jwks); // one fetch for the farm, not one per instance
        Assert.Equal(loaded.Discovery, after.Discovery);
        Assert.Contains(farm.Rps[0].Audit.Rows, r => r.Category == OidcAuditCategories.KidMismatchRecovered && r.Kid == kid);
        Assert.All(farm.Rps, rp => Assert.DoesNotContain(rp.Audit.Rows, r => r.Outcome == OidcAuditOutcomes.Failure));
        OpMatrixLog.Ran(Op, nameof(A_rotation_costs_the_farm_one_JWKS_fetch_and_the_first_login_after_it_on_each_instance_succeeds));
    }

    [Fact]
    public async Task A_callback_replayed_on_another_instance_is_refused_with_state_replayed_and_one_token_request_in_all()
    {
        await using var farm = await FarmWorld.StartAsync(ops.Get(Op));
        using var browser = farm.Browser(farm.Rps[0]);
        var pending = await browser.BeginLoginAsync("alpha");
        var cookies = browser.Cookies.Header(new Uri(pending.Action))!;
        await Expect.SignedIn(browser.FinishLoginAsync(pending));
        var tokens = (await farm.Issuer.CountsAsync()).Token;
        Assert.Equal(1, tokens);

        // The same callback (its state, code and the browser's cookies) sent to the second instance.
        var elsewhere = new UriBuilder(pending.Action) { Port = new Uri(farm.Rps[1].BaseUrl).Port }.Uri.AbsoluteUri;
        using var raw = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        using var request = pending.Query
            ? new HttpRequestMessage(HttpMethod.Get, pending.Url(elsewhere))
            : new HttpRequestMessage(HttpMethod.Post, elsewhere) { Content = new FormUrlEncodedContent(pending.Fields) };
        request.Headers.Add("Cookie", cookies);
        using var replay = await raw.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal(1, (await farm.Issuer.CountsAsync()).Token); // refused before any token request
        Assert.Contains(farm.Rps[1].Audit.Rows, r => (r.Category, r.Reason) == (OidcAuditCategories.CallbackRejected, OidcRpReasons.StateReplayed));
        OpMatrixLog.Ran(Op, nameof(A_callback_replayed_on_another_instance_is_refused_with_state_replayed_and_one_token_request_in_all));
    }

    /// <summary>The farm's world: redis-server, one issuer at the OP, three RP instances; disposed in reverse.</summary>
    private sealed class FarmWorld : IAsyncDisposable
    {
        private readonly IOpFixture _op;
        private readonly RedisServer _redis;
        private readonly string _keys;

        private FarmWorld(IOpFixture op, RedisServer redis, string keys)
        {
            _op = op;
            _redis = redis;
            _keys = keys;
        }

        public IOpIssuer Issuer { get; private set; } = null!;

        public List<RpApp> Rps { get; } = [];

        public static async Task<FarmWorld> StartAsync(IOpFixture op)
        {
            var keys = Path.Combine(Path.GetTempPath(), $"oidcrp-farm-int-{Guid.NewGuid():N}");
            Directory.CreateDirectory(keys);
            var world = new FarmWorld(op, await RedisServer.StartAsync(), keys);
            try
            {
                await world.StartFarmAsync();
            }
            catch
            {
                await world.DisposeAsync(); // nothing left behind when the start fails
                throw;
            }
            return world;
        }

        private async Task StartFarmAsync()
        {
            int[] ports = [RpApp.FreePort(), RpApp.FreePort(), RpApp.FreePort()];
            Issuer = await _op.StartIssuerAsync("alpha", new OpClient(
                [.. ports.Select(p => $"http://127.0.0.1:{p}/auth/oidc/alpha/callback")],
                [.. ports.Select(p => $"http://127.0.0.1:{p}/auth/oidc/alpha/signout-callback")]));
            for (var i = 0; i < ports.Length; i++)
            {
                var name = "rp" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var rp = await RpApp.StartAsync([new RpProvider("alpha", Issuer.Authority, Issuer.ClientId, Issuer.ClientSecret)], port: ports[i],
                    services: s =>
                    {
                        s.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(_keys)).SetApplicationName("oidcrp-farm-int");
                        s.AddOidcRpRedis(o =>
                        {
                            o.Configuration = _redis.Configuration;
                            o.KeyPrefix = "farmint:";
                            o.SharedKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(b => (byte)b).ToArray());
                            o.InstanceName = name;
                        });
                    });
                // The first instance makes the key ring before the others start, so all protect with one key.
                rp.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("warm-up").Protect("x"u8.ToArray());
                Rps.Add(rp);
            }
        }

        public BrowserClient Browser(RpApp rp, string user = "alice")
        {
            var (username, password) = _op.Credentials(user);
            return rp.Browser(username, password);
        }

        public async Task<HttpResponseMessage> LoginAsync(RpApp rp)
        {
            using var browser = Browser(rp);
            return await browser.LoginAsync("alpha");
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var rp in Rps)
            {
                await rp.DisposeAsync();
            }
            if (Issuer is not null)
            {
                await Issuer.DisposeAsync();
            }
            await _redis.DisposeAsync();
            try
            {
                Directory.Delete(_keys, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
