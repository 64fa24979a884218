using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OidcRp.Providers.Sql;

namespace OidcRp.Docs.Snippets;

/// <summary>docs/provider-sources.md: the SQL provider store.</summary>
public static class ProviderStoreSnippets
{
    /// <summary>Registers the SQLite provider store, then saves and removes a provider.</summary>
    public static async Task<OidcProviderSaveResult> SaveAndRemoveAsync(WebApplicationBuilder builder)
    {
        #region sql-provider-store
        // SQLite (package Microsoft.Data.Sqlite); PostgreSQL: SqlProviderStoreDialect.PostgreSql, _ => NpgsqlDataSource.Create(cs)
        builder.Services.AddOidcRpSqlProviderStore(SqlProviderStoreDialect.Sqlite,
            _ => SqliteFactory.Instance.CreateDataSource("Data Source=/var/lib/myapp/providers.db"),
            o => o.PollInterval = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        var store = app.Services.GetRequiredService<SqlOidcProviderStore>();
        var saved = await store.SaveAsync(new OidcProviderOptions { Id = "acme", Authority = "https://login.acme.example",
            ClientId = "web", ClientSecret = "…" }, actor: "admin:alice");   // saved.Errors when refused
        await store.RemoveAsync("acme", actor: "admin:alice");
        #endregion
        return saved;
    }
}
