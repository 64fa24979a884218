using OidcRp.Providers;

namespace OidcRp.Tests.Integration.AuditStore;

/// <summary>Revoked kids in the SQL audit store's database (migration step 5): kept across store instances, as across restarts.</summary>
[Collection(DatabasesCollection.Name)]
public sealed class RevocationStoreTests(Databases databases)
{
    [Theory]
    [MemberData(nameof(Databases.Kinds), MemberType = typeof(Databases))]
    public async Task Revocations_survive_a_new_store_and_can_be_lifted(string kind)
    {
        await using var db = await databases.CreateAsync(kind);
        var at = new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);
        await using (var store = AuditStoreTests.NewStore(db))
        {
            var revocations = new SqlRevocationStore(store);
            await revocations.AddAsync(new RevokedKid("alpha", "a/b", at, "alpha:admin"), CancellationToken.None);
            await revocations.AddAsync(new RevokedKid("alpha", "a/b", at, "again"), CancellationToken.None); // idempotent
            await revocations.AddAsync(new RevokedKid("beta", "k2", at, null), CancellationToken.None);
        }

        await using var restarted = AuditStoreTests.NewStore(db);
        var again = new SqlRevocationStore(restarted);
        var rows = (await again.LoadAsync(CancellationToken.None)).OrderBy(r => r.ProviderId, StringComparer.Ordinal).ToList();
        Assert.Equal([new RevokedKid("alpha", "a/b", at, "alpha:admin"), new RevokedKid("beta", "k2", at, null)], rows);

        await again.RemoveAsync("alpha", "a/b", CancellationToken.None);
        Assert.Equal(["k2"], (await again.LoadAsync(CancellationToken.None)).Select(r => r.Kid));
        Assert.Equal(db.Dialect.Migrations.Max(m => m.Version), await db.ScalarAsync("SELECT MAX(version) FROM oidcrp_audit_schema"));
    }
}
