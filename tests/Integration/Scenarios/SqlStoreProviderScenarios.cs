using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Audit;
using OidcRp.Providers.Sql;
using OidcRp.Tests.Integration.Ops;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Scenarios;

/// <summary>
/// A provider that lives in the ready SQLite provider store, against a real OP: saved while the app runs, it serves a
/// login at once; a row broken by hand is refused with the provider kept; removed by another instance on the same
/// database, it is gone once the poll (paced by the app's TimeProvider, a fake one here) has seen it.
/// </summary>
[Collection(OpsCollection.Name)]
public sealed class SqlStoreProviderScenarios(OpsFixture ops)
{
    [SkippableTheory]
    [MemberData(nameof(OpsFixture.All), MemberType = typeof(OpsFixture))]
    public async Task A_provider_saved_in_the_sqlite_store_serves_logins_keeps_serving_past_a_broken_row_and_goes_when_another_instance_removes_it(string op)
    {
        var fixture = ops.Get(op);
        var directory = Directory.CreateTempSubdirectory("oidcrp-store-");
        var file = Path.Combine(directory.FullName, "providers.db");
        var port = RpApp.FreePort();
        await using var issuer = await fixture.StartIssuerAsync("acme", new OpClient(
            [$"http://127.0.0.1:{port}/auth/oidc/acme/callback"], [$"http://127.0.0.1:{port}/auth/oidc/acme/signout-callback"]));
        await using var dataSource = SqliteFactory.Instance.CreateDataSource($"Data Source={file}");
        await using var rp = await RpApp.StartAsync([], port: port, services: s => s.AddOidcRpSqlProviderStore(SqlProviderStoreDialect.Sqlite,
            _ => dataSource, o => o.PollInterval = TimeSpan.FromMilliseconds(100)));
        var (username, password) = fixture.Credentials("alice");
        try
        {
            using (var early = rp.Browser(username, password))
            using (var unknown = await early.GetAsync($"{rp.BaseUrl}/auth/oidc/acme/login"))
            {
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode); // nothing in configuration, nothing stored yet
            }

            var store = rp.Services.GetRequiredService<SqlOidcProviderStore>();
            var saved = await store.SaveAsync(new OidcProviderOptions
            {
                Id = "acme",
                DisplayName = "Acme (stored)",
                Authority = issuer.Authority,
                ClientId = issuer.ClientId,
                ClientSecret = issuer.ClientSecret,
                RequireHttpsMetadata = false,
            }, actor: "test-admin");
            Assert.True(saved.Succeeded, string.Join(" ", saved.Errors));

            using (var browser = rp.Browser(username, password))
            {
                await Expect.SignedIn(browser.LoginAsync("acme"));
            }
            var added = Assert.Single(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderAdded);
            Assert.Equal(("acme", OidcRpReasons.SourceStore), (added.ProviderId, added.Reason));
            Assert.Equal(OidcAuditCategories.LoginSucceeded, rp.Audit.Rows[^1].Category);

            // A row broken by hand (settings that are not JSON) under a new version: the store returns it unreadable
            // rather than throwing, the registry refuses that version and keeps serving the one it had.
            await using (var command = dataSource.CreateCommand(
                "UPDATE oidcrp_providers_sequence SET value = value + 1; " +
                "UPDATE oidcrp_providers SET settings = '{broken', version = (SELECT value FROM oidcrp_providers_sequence) WHERE id = 'acme'"))
            {
                await command.ExecuteNonQueryAsync();
            }
            var providers = rp.Services.GetRequiredService<IOidcProviders>();
            await Until(rp, () => providers.GetStatus("acme")?.RefusedVersion is not null, () => "the broken row was not refused");
            Assert.Equal(saved.Version, providers.GetStatus("acme")!.Version);
            using (var browser = rp.Browser(username, password))
            {
                await Expect.SignedIn(browser.LoginAsync("acme"));
            }

            // Another instance on the same file removes it: this app learns of it by polling, not by a local signal.
            await using (var other = new SqlOidcProviderStore(dataSource, SqlProviderStoreDialect.Sqlite,
                Microsoft.Extensions.Options.Options.Create(new OidcProviderStoreOptions { PollInterval = null }),
                rp.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(), TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLogger<SqlOidcProviderStore>.Instance))
            {
                Assert.True(await other.RemoveAsync("acme", "other-instance"));
            }
            await Until(rp, () => providers.GetStatus("acme") is null, () => "the removal was not seen");
            using (var browser = rp.Browser(username, password))
            using (var login = await browser.GetAsync($"{rp.BaseUrl}/auth/oidc/acme/login"))
            {
                Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
            }
            var removed = Assert.Single(rp.Audit.Rows, r => r.Category == OidcAuditCategories.ProviderRemoved);
            Assert.Equal("other-instance", removed.Actor);
            OpMatrixLog.Ran(fixture.Name, nameof(A_provider_saved_in_the_sqlite_store_serves_logins_keeps_serving_past_a_broken_row_and_goes_when_another_instance_removes_it));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Waits for what the store's poll brings; the app's clock is a fake one, so the wait also moves it on (it paces the poll).</summary>
    private static async Task Until(RpApp rp, Func<bool> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, describe());
            rp.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(50);
        }
    }
}
