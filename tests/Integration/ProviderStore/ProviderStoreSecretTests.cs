using Microsoft.AspNetCore.DataProtection;
using OidcRp.Providers.Sql;
using OidcRp.Tests.Integration.AuditStore;
using static OidcRp.Tests.Integration.ProviderStore.ProviderStores;

namespace OidcRp.Tests.Integration.ProviderStore;

/// <summary>Client secrets in the SQL provider store, and rows it cannot read: never thrown, never leaked.</summary>
[Collection(DatabasesCollection.Name)]
public sealed class ProviderStoreSecretTests(Databases databases)
{
    private static async Task<string> RawAsync(TestDatabase db, string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task The_row_holds_the_secret_protected_and_only_the_same_key_ring_reads_it(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db);
        var provider = Provider("alpha");
        Assert.True((await store.SaveAsync(provider)).Succeeded);

        var row = await RawAsync(db, "SELECT id || settings || COALESCE(client_secret_protected, '') || COALESCE(client_secret_name, '') FROM oidcrp_providers");
        Assert.DoesNotContain(provider.ClientSecret!, row, StringComparison.Ordinal);
        Assert.DoesNotContain("ClientSecret", row, StringComparison.Ordinal);
        Assert.NotEmpty(await RawAsync(db, "SELECT client_secret_protected FROM oidcrp_providers"));
        Assert.Equal(provider.ClientSecret, (await store.FindByIdAsync("alpha", CancellationToken.None))!.Options.ClientSecret);

        // Another key ring (a lost or unshared one): the row comes back unreadable, without throwing.
        var logger = new ListLogger<SqlOidcProviderStore>();
        await using var stranger = New(db, keys: new EphemeralDataProtectionProvider(), logger: logger);
        var unreadable = await stranger.FindByIdAsync("alpha", CancellationToken.None);
        Assert.NotNull(unreadable);
        Assert.Equal("alpha", unreadable.Options.Id);
        Assert.Null(unreadable.Options.Authority);
        Assert.Null(unreadable.Options.ClientSecret);
        Assert.Contains(logger.Lines, l => l.Id.Id == 1452 && l.Message.Contains("secret_unprotect_failed", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_protected_secret_copied_into_another_providers_row_does_not_decrypt(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        await using var store = New(db);
        Assert.True((await store.SaveAsync(Provider("alpha"))).Succeeded);
        Assert.True((await store.SaveAsync(Provider("beta"))).Succeeded);
        await db.ScalarAsync("UPDATE oidcrp_providers SET client_secret_protected = " +
            "(SELECT client_secret_protected FROM oidcrp_providers WHERE id = 'alpha') WHERE id = 'beta' RETURNING 1");

        var beta = await store.FindByIdAsync("beta", CancellationToken.None);

        Assert.Null(beta!.Options.ClientSecret);
        Assert.Null(beta.Options.Authority);
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task External_secrets_are_never_stored_only_their_name_which_the_app_resolves(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var vault = new Dictionary<string, string> { ["kv-alpha"] = "from-the-vault-0123456789" };
        var asked = new List<OidcProviderSecretRequest>();
        var logger = new ListLogger<SqlOidcProviderStore>();
        await using var store = New(db, o =>
        {
            o.SecretStorage = OidcProviderSecretStorage.External;
            o.ResolveSecret = (request, _) =>
            {
                lock (asked)
                {
                    asked.Add(request);
                }
                return vault.TryGetValue(request.SecretName, out var secret) ? ValueTask.FromResult<string?>(secret)
                    : throw new KeyNotFoundException($"no secret {request.SecretName}");
            };
        }, keys: null, logger);

        var withSecret = await store.SaveAsync(Provider("alpha"), secretName: "kv-alpha");
        Assert.False(withSecret.Succeeded); // the store refuses to keep the secret itself
        Assert.Contains("External", withSecret.Errors.Single(), StringComparison.Ordinal);
        var provider = Provider("alpha");
        provider.ClientSecret = null;
        Assert.True((await store.SaveAsync(provider, secretName: "kv-alpha")).Succeeded);
        var unnamed = Provider("beta");
        unnamed.ClientSecret = null;
        Assert.True((await store.SaveAsync(unnamed, secretName: "kv-missing")).Succeeded);

        Assert.Equal("kv-alpha", await RawAsync(db, "SELECT client_secret_name FROM oidcrp_providers WHERE id = 'alpha'"));
        Assert.Equal("", await RawAsync(db, "SELECT client_secret_protected FROM oidcrp_providers WHERE id = 'alpha'"));
        Assert.Equal("from-the-vault-0123456789", (await store.FindByIdAsync("ALPHA", CancellationToken.None))!.Options.ClientSecret);
        Assert.Equal(new OidcProviderSecretRequest("alpha", "kv-alpha"), asked.Single());

        var failing = await store.FindByIdAsync("beta", CancellationToken.None); // the resolver throws: unreadable, not thrown
        Assert.Null(failing!.Options.Authority);
        Assert.Contains(logger.Lines, l => l.Id.Id == 1452 && l.Message.Contains("KeyNotFoundException", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, l => l.Message.Contains("kv-missing", StringComparison.Ordinal)); // not even the exception text
    }

    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task A_row_with_settings_that_are_not_json_reads_as_a_record_the_registry_refuses(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var logger = new ListLogger<SqlOidcProviderStore>();
        await using var store = New(db, logger: logger);
        Assert.True((await store.SaveAsync(Provider("alpha"))).Succeeded);
        Assert.True((await store.SaveAsync(Provider("beta"))).Succeeded);
        await db.ScalarAsync("UPDATE oidcrp_providers SET settings = '{\"Scopes\": 42' WHERE id = 'alpha' RETURNING 1");

        var alpha = await store.FindByIdAsync("alpha", CancellationToken.None);
        var listed = await store.ListAsync(null, 10, CancellationToken.None);

        Assert.Equal("alpha", alpha!.Options.Id);
        Assert.Null(alpha.Options.Authority);
        Assert.Null(alpha.Options.ClientSecret);
        Assert.Equal(["alpha", "beta"], listed.Select(r => r.Options.Id));
        Assert.Equal("https://op.example/beta", listed[1].Options.Authority);
        Assert.Contains(logger.Lines, l => l.Id.Id == 1452 && l.Message.Contains("settings_invalid", StringComparison.Ordinal));
        // What the registry does with it: start-up's checks refuse a provider with neither client id nor authority.
        var check = new OidcRpOptions();
        check.Providers["alpha"] = alpha.Options;
        Assert.True(new OidcRpOptionsValidator().Validate(null, check).Failed);
    }
}
