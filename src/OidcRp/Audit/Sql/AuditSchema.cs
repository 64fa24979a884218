using System.Data.Common;
using Microsoft.Extensions.Logging;
using OidcRp.Diagnostics;

namespace OidcRp.Audit.Sql;

/// <summary>The <c>oidcrp_audit</c> schema, versioned in <c>oidcrp_audit_schema</c>.</summary>
internal sealed class AuditSchema(DbDataSource dataSource, SqlAuditDialect dialect, TimeProvider time, ILogger logger)
    : VersionedSchema(dataSource,
        new SchemaSteps("oidcrp_audit_schema", dialect.BigInt, dialect.Migrations, dialect.PrepareAsync, dialect.LockForMigrationAsync),
        time, step => Log.AuditSchemaMigrated(logger, dialect.Name, step));
