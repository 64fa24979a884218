using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OidcRp.Audit.Sql;

/// <summary>Registers the durable SQL audit store as OidcRp's audit sink and reader.</summary>
public static class OidcAuditStoreServiceCollectionExtensions
{
    /// <summary>
    /// Writes audit rows to a database through <paramref name="dataSource"/> (for example
    /// <c>SqliteFactory.Instance.CreateDataSource("Data Source=audit.db")</c> or
    /// <c>NpgsqlDataSource.Create(connectionString)</c>), replacing the default logging sink. The store
    /// creates its schema at start-up, buffers and spills while the database is away, and flushes on a
    /// graceful shutdown. Call before or after <c>AddMultiOidc</c>.
    /// </summary>
    public static IServiceCollection AddOidcRpAuditStore(this IServiceCollection services, SqlAuditDialect dialect,
        Func<IServiceProvider, DbDataSource> dataSource, Action<OidcAuditStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = services.AddOptions<OidcAuditStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        // The default spill file, applied last and only where nothing set SpillPath (null turns spilling
        // off): per application, in the user's private data directory, never in a shared temp directory.
        options.PostConfigure<IServiceProvider>((o, sp) =>
        {
            if (ReferenceEquals(o.SpillPath, OidcAuditStoreOptions.DefaultSpillPath))
            {
                o.SpillPath = OidcAuditStoreOptions.DefaultSpillFile(sp.GetService<IHostEnvironment>()?.ApplicationName);
            }
        });
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OidcAuditStoreOptions>, OidcAuditStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<SqlAuditStore>();
        services.AddSingleton(sp => new SqlAuditStore(dataSource(sp), dialect, sp.GetRequiredService<IOptions<OidcAuditStoreOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<ILogger<SqlAuditStore>>()));
        services.RemoveAll<IOidcAuditSink>();
        services.AddSingleton<IOidcAuditSink>(sp => sp.GetRequiredService<SqlAuditStore>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SqlAuditStore>());
        return services;
    }
}
