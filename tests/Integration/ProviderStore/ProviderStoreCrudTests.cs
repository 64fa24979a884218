using System.Globalization;
using OidcRp.Tests.Integration.AuditStore;
using static OidcRp.Tests.Integration.ProviderStore.ProviderStores;

namespace OidcRp.Tests.Integration.ProviderStore;

/// <summary>The SQL provider store's reads and writes against a real SQLite file and a real PostgreSQL server.</summary>
[Collection(DatabasesCollection.Name)]
public sealed class ProviderStoreCrudTests(Databases databases)
{
    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Every_setting_round_trips_and_lookups_ignore_letter_case(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db);
        var saved = Provider("Acme-1");
        saved.MetadataAddress = "https://op.example/acme/meta?x=1";
        saved.Issuer = "https://issuer.example/acme";
        saved.ClientAuthentication = "client_secret_post";
        saved.ResponseMode = "query";
        saved.PushedAuthorization = false;
        saved.Prompt = "login";
        saved.MaxAge = TimeSpan.FromMinutes(7);
        saved.GetClaimsFromUserInfoEndpoint = true;
        saved.Scopes.Add("openid");
        saved.Scopes.Add("email");
        saved.SigningAlgorithms.Add("PS256");

        saved.FrontChannelLogout = true;
        saved.RequireHttpsMetadata = true;

        var result = await store.SaveAsync(saved, "alice");
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));

        foreach (var found in new[]
        {
            await store.FindByIdAsync("ACME-1", CancellationToken.None),
            await store.FindByIdAsync("acme-1", CancellationToken.None),
            await store.FindByCallbackPathAsync("/AUTH/OIDC/acme-1/CALLBACK", CancellationToken.None),
            await store.FindByCallbackPathAsync("/auth/oidc/ACME-1/signout-callback", CancellationToken.None),
        })
        {
            Assert.NotNull(found);
            Assert.Equal(result.Version, found.Version);
            var o = found.Options;
            Assert.Equal("Acme-1", o.Id);
            Assert.Equal(saved.ClientSecret, o.ClientSecret);
            Assert.Equal((saved.DisplayName, saved.Authority, saved.MetadataAddress, saved.Issuer, saved.ClientId, saved.ClientAuthentication),
                (o.DisplayName, o.Authority, o.MetadataAddress, o.Issuer, o.ClientId, o.ClientAuthentication));
            Assert.Equal((saved.ResponseMode, saved.PushedAuthorization, saved.Prompt, saved.MaxAge, saved.GetClaimsFromUserInfoEndpoint),
                (o.ResponseMode, o.PushedAuthorization, o.Prompt, o.MaxAge, o.GetClaimsFromUserInfoEndpoint));
            Assert.Equal(["openid", "email"], o.Scopes);
            Assert.Equal(["PS256"], o.SigningAlgorithms);
            Assert.Equal(((string?)null, (string?)null, true, true),
                (o.CallbackPath, o.SignedOutCallbackPath, o.FrontChannelLogout, o.RequireHttpsMetadata));
        }
        Assert.Null(await store.FindByIdAsync("acme-2", CancellationToken.None));
        Assert.Null(await store.FindByCallbackPathAsync("/auth/oidc/acme-1/callback/", CancellationToken.None));
        Assert.Null(await store.FindByCallbackPathAsync("/auth/oidc/acme-1", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Every_write_bumps_the_version_and_a_removal_leaves_a_tombstone_that_a_save_revives(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db);
        var first = long.Parse((await store.SaveAsync(Provider("alpha"), "alice")).Version!, CultureInfo.InvariantCulture);
        var changed = Provider("ALPHA");
        changed.Scopes.Add("openid");
        var second = long.Parse((await store.SaveAsync(changed, "bob")).Version!, CultureInfo.InvariantCulture);
        Assert.True(second > first);
        Assert.Equal("ALPHA", (await store.FindByIdAsync("alpha", CancellationToken.None))!.Options.Id); // one row, renamed in case

        Assert.True(await store.RemoveAsync("Alpha", "carol"));
        Assert.Null(await store.FindByIdAsync("alpha", CancellationToken.None));
        Assert.Null(await store.FindByCallbackPathAsync("/auth/oidc/alpha/callback", CancellationToken.None));
        Assert.Empty(await store.ListAsync(null, 10, CancellationToken.None));
        Assert.False(await store.RemoveAsync("alpha", "carol"));
        Assert.Equal(1, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_providers WHERE removed_at IS NOT NULL AND client_secret_protected IS NULL"));
        var removal = await db.ScalarAsync("SELECT version FROM oidcrp_providers");
        Assert.True(removal > second);

        var revived = long.Parse((await store.SaveAsync(Provider("alpha"), "dave")).Version!, CultureInfo.InvariantCulture);
        Assert.True(revived > removal);
        Assert.NotNull(await store.FindByIdAsync("alpha", CancellationToken.None));
        Assert.Equal(1, await db.ScalarAsync("SELECT COUNT(*) FROM oidcrp_providers"));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Keyset_paging_returns_every_live_provider_once_in_ordinal_case_insensitive_order(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db);
        var ids = Enumerable.Range(0, 300).Select(i => (i % 3) switch
        {
            0 => $"p{i:000}",
            1 => $"P{i:000}-x",
            _ => $"q_{i}",
        }).ToList();
        foreach (var id in ids)
        {
            Assert.True((await store.SaveAsync(Provider(id))).Succeeded);
        }
        var removed = ids.Where((_, i) => i % 10 == 0).ToHashSet(StringComparer.Ordinal);
        foreach (var id in removed)
        {
            Assert.True(await store.RemoveAsync(id));
        }

        var listed = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await store.ListAsync(after, 47, CancellationToken.None);
            Assert.True(page.Count <= 47);
            listed.AddRange(page.Select(r => r.Options.Id));
            if (page.Count < 47)
            {
                break;
            }
            after = page[^1].Options.Id.ToLowerInvariant(); // the cursor ignores case too
        }
        Assert.Equal(ids.Where(id => !removed.Contains(id)).Order(StringComparer.OrdinalIgnoreCase), listed);
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_provider_off_the_store_path_shape_is_refused_and_takes_no_version(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db);
        Assert.True((await store.SaveAsync(Provider("alpha"))).Succeeded);
        var before = await db.ScalarAsync("SELECT value FROM oidcrp_providers_sequence");

        // The registry finds a store provider's callback by the shape of its path, so the store refuses any other path.
        var custom = await store.SaveAsync(Provider("beta", "/cb/alpha"));
        Assert.False(custom.Succeeded);
        Assert.Contains(custom.Errors, e => e.Contains("/auth/oidc/beta/callback", StringComparison.Ordinal));
        var stolen = await store.SaveAsync(Provider("delta", "/auth/oidc/alpha/callback")); // another provider's path
        Assert.False(stolen.Succeeded);

        Assert.Null(await store.FindByIdAsync("beta", CancellationToken.None));
        Assert.Equal("alpha", (await store.FindByCallbackPathAsync("/auth/oidc/alpha/callback", CancellationToken.None))!.Options.Id);
        Assert.Equal(before, await db.ScalarAsync("SELECT value FROM oidcrp_providers_sequence")); // refused writes take no version
        Assert.True((await store.SaveAsync(Provider("gamma", "/Auth/Oidc/GAMMA/callback"))).Succeeded); // its own default path, any case
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_provider_start_up_would_refuse_is_refused_with_every_reason_and_never_the_secret(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var logger = new ListLogger<OidcRp.Providers.Sql.SqlOidcProviderStore>();
        await using var store = New(db, logger: logger);
        var bad = Provider("bad");
        bad.ClientId = null;
        bad.Authority = "http://op.example/plain-http";
        bad.CallbackPath = "https://elsewhere.example/cb";
        bad.ConfigureHandler = _ => { };

        var result = await store.SaveAsync(bad, "alice");

        Assert.False(result.Succeeded);
        Assert.Null(result.Version);
        Assert.Contains(result.Errors, e => e.Contains("ClientId", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("https", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("CallbackPath", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("ConfigureHandler", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Errors, e => e.Contains(bad.ClientSecret!, StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, l => l.Message.Contains(bad.ClientSecret!, StringComparison.Ordinal));
        Assert.Equal(1, logger.Count(1455));
        Assert.Null(await store.FindByIdAsync("bad", CancellationToken.None));
        Assert.False((await store.SaveAsync(Provider("Providers"))).Succeeded); // a reserved id, as at start-up
        Assert.False((await store.SaveAsync(Provider("no spaces"))).Succeeded);
    }
}
