using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using OidcRp.Audit;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>Providers added, changed and removed while the app serves logins, against a real OP.</summary>
[Collection(OpsCollection.Name)]
public sealed class ProviderSourceScenarios(OpsFixture ops)
{
    private static OidcProviderOptions Row(IOpIssuer issuer, string id, string? secret = null) => new()
    {
        Id = id, Authority = issuer.Authority, ClientId = issuer.ClientId, ClientSecret = secret ?? issuer.ClientSecret, RequireHttpsMetadata = false,
    };

    private static async Task<(RpApp Rp, IOpIssuer Alpha, IOpIssuer Acme)> StartAsync(IOpFixture op, InMemoryProviderStore store,
        Action<IServiceCollection>? services = null)
    {
        var port = RpApp.FreePort();
        OpClient Client(string id) => new([$"http://127.0.0.1:{port}/auth/oidc/{id}/callback"], [$"http://127.0.0.1:{port}/auth/oidc/{id}/signout-callback"]);
        var alpha = await op.StartIssuerAsync("alpha", Client("alpha"));
        var acme = await op.StartIssuerAsync("acme", Client("acme"));
        var rp = await RpApp.StartAsync([new RpProvider("alpha", alpha.Authority, alpha.ClientId, alpha.ClientSecret)], port: port, services: services,
            authentication: b => b.AddOidcProviderStore(store));
        return (rp, alpha, acme);
    }

    private static BrowserClient Browser(IOpFixture op, RpApp rp)
    {
        var (username, password) = op.Credentials("alice");
        return rp.Browser(username, password);
    }

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 1500 && !condition(); i++)
        {
            await Task.Delay(20);
        }
        Assert.True(condition());
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task A_provider_added_to_the_store_while_logins_run_signs_in(string op)
    {
        var fixture = ops.Get(op);
        var store = new InMemoryProviderStore();
        var (rp, alpha, acme) = await StartAsync(fixture, store);
        await using var _ = rp;
        await using var __ = alpha;
        await using var ___ = acme;
        using var before = await Browser(fixture, rp).GetAsync($"{rp.BaseUrl}/auth/oidc/acme/login");

        var running = Browser(fixture, rp).LoginAsync("alpha"); // a login through another provider is under way
        store.Put(Row(acme, "acme"), actor: "onboarding");
        await Expect.SignedIn(Browser(fixture, rp).LoginAsync("acme"));
        await Expect.SignedIn(running);

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        var added = Assert.Single(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderAdded);
        Assert.Equal(("acme", OidcRpReasons.SourceStore), (added.ProviderId, added.Reason));
        Assert.Contains(rp.Audit.Rows, r => r.Category == OidcAuditCategories.LoginSucceeded && r.ProviderId == "acme");
        Assert.Equal(new OpCounts(1, 1, 1), await acme.CountsAsync());
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task A_client_secret_changed_at_the_op_and_in_the_store_signs_in_again_with_the_same_keys(string op)
    {
        var fixture = ops.Get(op);
        var store = new InMemoryProviderStore();
        var (rp, alpha, acme) = await StartAsync(fixture, store);
        await using var _ = rp;
        await using var __ = alpha;
        await using var ___ = acme;
        store.Seed(Row(acme, "acme"));
        await Expect.SignedIn(Browser(fixture, rp).LoginAsync("acme"));

        Skip.IfNot(await acme.TryChangeClientSecretAsync("rotated-secret-value-0123456789"), $"{op} cannot change a client secret at run time");
        // The OP refuses the old secret wherever the RP uses it first: at its PAR endpoint where it has one
        // (oidc-provider: the sign-in does not start; the browser stops at the 502 error page), else at the token
        // endpoint (the callback answers 400).
        HttpStatusCode? staleStatus = null;
        try
        {
            using var stale = await Browser(fixture, rp).LoginAsync("acme");
            staleStatus = stale.StatusCode;
        }
        catch (InvalidOperationException e) when (e.Message.Contains(" with 502", StringComparison.Ordinal))
        {
            staleStatus = HttpStatusCode.BadGateway;
        }
        var version = store.Put(Row(acme, "acme", "rotated-secret-value-0123456789"));
        await Until(() => rp.Services.GetRequiredService<IOidcProviders>().GetStatus("acme")?.Version == version);
        await Expect.SignedIn(Browser(fixture, rp).LoginAsync("acme"));

        var staleReason = staleStatus == HttpStatusCode.BadGateway ? OidcRpReasons.ParFailed : OidcRpReasons.CodeExchangeFailed;
        Assert.Contains(staleStatus, new HttpStatusCode?[] { HttpStatusCode.BadRequest, HttpStatusCode.BadGateway });
        Assert.Contains(rp.Audit.Rows, r => r.Reason == staleReason);
        var changed = Assert.Single(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderChanged);
        Assert.Equal(["ClientSecret"], changed.Settings);
        Assert.Equal((1, 1), ((await acme.CountsAsync()).Discovery, (await acme.CountsAsync()).Jwks)); // keys kept
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task A_provider_removed_mid_login_answers_provider_removed(string op)
    {
        var fixture = ops.Get(op);
        var store = new InMemoryProviderStore();
        var (rp, alpha, acme) = await StartAsync(fixture, store);
        await using var _ = rp;
        await using var __ = alpha;
        await using var ___ = acme;
        store.Seed(Row(acme, "acme"));
        using var browser = Browser(fixture, rp);
        var pending = await browser.BeginLoginAsync("acme");

        store.Remove("acme", actor: "offboarding");
        await Until(() => rp.Services.GetRequiredService<IOidcProviders>().GetStatus("acme") is null);
        using var callback = await browser.FinishLoginAsync(pending);

        Assert.Equal(HttpStatusCode.BadRequest, callback.StatusCode);
        var rejected = Assert.Single(rp.Audit.Rows, r => r.Category == OidcAuditCategories.CallbackRejected);
        Assert.Equal(("acme", OidcRpReasons.ProviderRemoved), (rejected.ProviderId, rejected.Reason));
        var removed = Assert.Single(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderRemoved);
        Assert.Equal(("offboarding", OidcRpReasons.SourceStore), (removed.Actor, removed.Reason));
        Assert.Equal(0, (await acme.CountsAsync()).Token);
    }

    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task An_appsettings_edit_on_disk_adds_a_provider_and_an_invalid_edit_keeps_the_old_one(string op)
    {
        var fixture = ops.Get(op);
        var directory = Directory.CreateTempSubdirectory("oidcrp-appsettings-");
        try
        {
            var path = Path.Combine(directory.FullName, "appsettings.json");
            var port = RpApp.FreePort();
            OpClient Client(string id) => new([$"http://127.0.0.1:{port}/auth/oidc/{id}/callback"], [$"http://127.0.0.1:{port}/auth/oidc/{id}/signout-callback"]);
            await using var beta = await fixture.StartIssuerAsync("beta", Client("beta"));
            await using var gamma = await fixture.StartIssuerAsync("gamma", Client("gamma"));
            await File.WriteAllTextAsync(path, Json(("beta", beta, beta.Authority)));
            using var files = new PhysicalFileProvider(directory.FullName) { UsePollingFileWatcher = true, UseActivePolling = true };
            var configuration = new ConfigurationBuilder().AddJsonFile(files, "appsettings.json", optional: false, reloadOnChange: true).Build();
            await using var rp = await RpApp.StartAsync([], port: port, services: s => s.Configure<OidcRpOptions>(configuration.GetSection("OidcRp")));
            var providers = rp.Services.GetRequiredService<IOidcProviders>();
            await Expect.SignedIn(Browser(fixture, rp).LoginAsync("beta"));

            await File.WriteAllTextAsync(path, Json(("beta", beta, beta.Authority), ("gamma", gamma, gamma.Authority)));
            await Until(() => providers.GetStatus("gamma") is not null);
            await Expect.SignedIn(Browser(fixture, rp).LoginAsync("gamma"));

            await File.WriteAllTextAsync(path, Json(("beta", beta, "not-a-url"), ("gamma", gamma, gamma.Authority)));
            await Until(() => providers.GetStatus("beta")?.RefusedVersion is not null);
            await Expect.SignedIn(Browser(fixture, rp).LoginAsync("beta"));

            Assert.Equal("1", providers.GetStatus("beta")!.Version);
            Assert.Contains(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderAdded && r.ProviderId == "gamma");
            Assert.Contains(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderChanged && r.ProviderId == "beta"
                && r.Outcome == OidcAuditOutcomes.Failure && r.Reason == OidcRpReasons.ProviderInvalid);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Json(params (string Id, IOpIssuer Issuer, string Authority)[] providers) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            OidcRp = new
            {
                Providers = providers.ToDictionary(p => p.Id, p => new
                {
                    p.Authority, p.Issuer.ClientId, p.Issuer.ClientSecret, RequireHttpsMetadata = false,
                }),
            },
        });
}
