using System.Data.Common;
using Microsoft.Extensions.Logging;
using OidcRp.Audit.Sql;
using OidcRp.Diagnostics;

namespace OidcRp.Providers.Sql;

/// <summary>The <c>oidcrp_providers</c> schema, versioned in its own table, <c>oidcrp_providers_schema</c> (apart from the audit store's).</summary>
internal sealed class ProviderStoreSchema(DbDataSource dataSource, SqlProviderStoreDialect dialect, TimeProvider time, ILogger logger)
    : VersionedSchema(dataSource,
        new SchemaSteps("oidcrp_providers_schema", dialect.BigInt, dialect.Migrations, dialect.PrepareAsync, dialect.LockForMigrationAsync),
        time, step => Log.ProviderStoreSchemaMigrated(logger, dialect.Name, step));
