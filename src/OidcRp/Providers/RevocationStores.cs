using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OidcRp.Audit.Sql;

namespace OidcRp.Providers;

/// <summary>One revoked kid as stored.</summary>
internal sealed record RevokedKid(string ProviderId, string Kid, DateTimeOffset RevokedAt, string? Actor);

/// <summary>
/// Where revocations survive a restart. With the SQL audit store, its database (table <c>oidcrp_revoked_kids</c>, migration
/// step 5): every instance behind a load balancer reads the same list at start, and an operator's revocation is not lost
/// with one machine's disk. Without it, a small JSON file: revocations are rare, tiny and must not depend on a database
/// the application never asked for.
/// </summary>
internal interface IRevocationStore
{
    Task<IReadOnlyList<RevokedKid>> LoadAsync(CancellationToken cancellationToken);

    Task AddAsync(RevokedKid revoked, CancellationToken cancellationToken);

    Task RemoveAsync(string providerId, string kid, CancellationToken cancellationToken);

    /// <summary>The store OidcRp uses: the SQL audit database when registered, else the file.</summary>
    static IRevocationStore Create(IServiceProvider services)
    {
        if (services.GetService<SqlAuditStore>() is { } sql)
        {
            return new SqlRevocationStore(sql);
        }
        var path = services.GetRequiredService<IOptions<OidcRpOptions>>().Value.Keys.RevocationFile
            ?? Path.Combine(services.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory, "oidcrp-revoked-kids.json");
        return new FileRevocationStore(path);
    }
}

/// <summary>The whole list in one JSON file, replaced atomically (written beside it, then moved over it).</summary>
internal sealed class FileRevocationStore(string path) : IRevocationStore
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Path => path;

    public async Task<IReadOnlyList<RevokedKid>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<List<RevokedKid>>(stream, cancellationToken: cancellationToken) ?? [];
    }

    public Task AddAsync(RevokedKid revoked, CancellationToken cancellationToken) =>
        UpdateAsync(list => list.Add(revoked), cancellationToken);

    public Task RemoveAsync(string providerId, string kid, CancellationToken cancellationToken) =>
        UpdateAsync(list => list.RemoveAll(r => Matches(r, providerId, kid)), cancellationToken);

    private async Task UpdateAsync(Action<List<RevokedKid>> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var list = (await LoadAsync(cancellationToken)).ToList();
            change(list);
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            var temporary = path + ".tmp";
            await using (var stream = File.Create(temporary))
            {
                await JsonSerializer.SerializeAsync(stream, list, cancellationToken: cancellationToken);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static bool Matches(RevokedKid r, string providerId, string kid) =>
        string.Equals(r.ProviderId, providerId, StringComparison.OrdinalIgnoreCase) && string.Equals(r.Kid, kid, StringComparison.Ordinal);
}

/// <summary>The list in the SQL audit store's database (table <c>oidcrp_revoked_kids</c>, created by its migration step 5).</summary>
internal sealed class SqlRevocationStore(SqlAuditStore store) : IRevocationStore
{
    public async Task<IReadOnlyList<RevokedKid>> LoadAsync(CancellationToken cancellationToken)
    {
        await store.EnsureSchemaAsync(cancellationToken);
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT provider_id, kid, revoked_at, actor FROM oidcrp_revoked_kids";
        var rows = new List<RevokedKid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new RevokedKid(reader.GetString(0), reader.GetString(1),
                AuditRows.FromMicros(Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture)), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return rows;
    }

    public async Task AddAsync(RevokedKid revoked, CancellationToken cancellationToken)
    {
        await store.EnsureSchemaAsync(cancellationToken);
        await ExecuteAsync("INSERT INTO oidcrp_revoked_kids (provider_id, kid, revoked_at, actor) VALUES (@p, @k, @t, @a) ON CONFLICT (provider_id, kid) DO NOTHING",
            command =>
            {
                AuditRows.Add(command, "@p", revoked.ProviderId);
                AuditRows.Add(command, "@k", revoked.Kid);
                AuditRows.Add(command, "@t", AuditRows.ToMicros(revoked.RevokedAt));
                AuditRows.Add(command, "@a", revoked.Actor);
            }, cancellationToken);
    }

    public async Task RemoveAsync(string providerId, string kid, CancellationToken cancellationToken)
    {
        await store.EnsureSchemaAsync(cancellationToken);
        await ExecuteAsync("DELETE FROM oidcrp_revoked_kids WHERE provider_id = @p AND kid = @k", command =>
        {
            AuditRows.Add(command, "@p", providerId);
            AuditRows.Add(command, "@k", kid);
        }, cancellationToken);
    }

    private async Task ExecuteAsync(string sql, Action<DbCommand> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        parameters(command);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
