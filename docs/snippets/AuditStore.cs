using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Npgsql;
using OidcRp.Audit.Sql;

namespace OidcRp.Docs.Snippets;

/// <summary>docs/audit.md: the durable audit store.</summary>
public static class AuditStoreSnippets
{
    /// <summary>The SQLite store with 90 days' retention.</summary>
    public static void Sqlite(WebApplicationBuilder builder)
    {
        #region audit-store-sqlite
        // SQLite, one file (package Microsoft.Data.Sqlite):
        builder.Services.AddOidcRpAuditStore(SqlAuditDialect.Sqlite,
            _ => SqliteFactory.Instance.CreateDataSource("Data Source=/var/lib/myapp/audit.db"),
            o => o.MaxAge = TimeSpan.FromDays(90));
        #endregion
    }

    /// <summary>The PostgreSQL store, for several instances writing one table.</summary>
    public static void PostgreSql(WebApplicationBuilder builder, string connectionString)
    {
        #region audit-store-postgresql
        // PostgreSQL, for several instances writing one table (package Npgsql):
        builder.Services.AddOidcRpAuditStore(SqlAuditDialect.PostgreSql, _ => NpgsqlDataSource.Create(connectionString));
        #endregion
    }

    /// <summary>The store's options bound from configuration (docs/configuration.md).</summary>
    public static void FromConfiguration(WebApplicationBuilder builder)
    {
        #region audit-store-configuration
        builder.Services.AddOidcRpAuditStore(SqlAuditDialect.Sqlite,
            _ => SqliteFactory.Instance.CreateDataSource("Data Source=/var/lib/myapp/audit.db"),
            o => builder.Configuration.GetSection("OidcRp:AuditStore").Bind(o));
        #endregion
    }
}
