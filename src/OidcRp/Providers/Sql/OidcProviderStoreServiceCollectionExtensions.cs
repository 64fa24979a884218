using System.Data.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OidcRp.Providers.Sql;

/// <summary>Registers the SQL provider store as OidcRp's <see cref="IOidcProviderStore"/>.</summary>
public static class OidcProviderStoreServiceCollectionExtensions
{
    /// <summary>
    /// Keeps providers in a database through <paramref name="dataSource"/> (for example
    /// <c>SqliteFactory.Instance.CreateDataSource("Data Source=providers.db")</c> or
    /// <c>NpgsqlDataSource.Create(connectionString)</c>). Registers <see cref="SqlOidcProviderStore"/> as a singleton
    /// (resolve it for <see cref="SqlOidcProviderStore.SaveAsync"/>) and REPLACES any <see cref="IOidcProviderStore"/>
    /// registered before (the last call wins, as <c>AddOidcRpAuditStore</c> replaces the audit sink). The schema is
    /// created at start-up; options are validated at start-up. With <see cref="OidcProviderSecretStorage.Protected"/>
    /// (the default) Data Protection is added when missing: persist its key ring where every instance finds it.
    /// Call before or after <c>AddMultiOidc</c>; it stands for <c>AddOidcProviderStore</c> on <c>AddMultiOidc</c>'s builder
    /// (configuration may then list no provider).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="dialect"><see cref="SqlProviderStoreDialect.Sqlite"/> or <see cref="SqlProviderStoreDialect.PostgreSql"/>.</param>
    /// <param name="dataSource">Creates the data source, once.</param>
    /// <param name="configure">Secrets and polling.</param>
    public static IServiceCollection AddOidcRpSqlProviderStore(this IServiceCollection services, SqlProviderStoreDialect dialect,
        Func<IServiceProvider, DbDataSource> dataSource, Action<OidcProviderStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = services.AddOptions<OidcProviderStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OidcProviderStoreOptions>, OidcProviderStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddDataProtection();
        services.RemoveAll<SqlOidcProviderStore>();
        services.AddSingleton(sp => new SqlOidcProviderStore(dataSource(sp), dialect, sp.GetRequiredService<IOptions<OidcProviderStoreOptions>>(),
            sp.GetService<IDataProtectionProvider>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqlOidcProviderStore>>()));
        services.RemoveAll<IOidcProviderStore>();
        services.AddSingleton<IOidcProviderStore>(sp => sp.GetRequiredService<SqlOidcProviderStore>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SqlOidcProviderStore>());
        services.Configure<OidcRpOptions>(o => o.HasProviderStore = true); // configuration may then list no provider
        return services;
    }
}
