using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OidcRp.Providers.Sql;
using OidcRp.Tests.Integration.AuditStore;

namespace OidcRp.Tests.Integration.ProviderStore;

/// <summary>Builds SQL provider stores over the audit tests' real databases (a SQLite file, a PostgreSQL database).</summary>
internal static class ProviderStores
{
    /// <summary>One key ring for every store of a test run, as instances sharing a persisted key ring have.</summary>
    public static readonly IDataProtectionProvider SharedKeys = new EphemeralDataProtectionProvider();

    public static SqlProviderStoreDialect Dialect(TestDatabase db) =>
        db.Kind == "sqlite" ? SqlProviderStoreDialect.Sqlite : SqlProviderStoreDialect.PostgreSql;

    public static SqlOidcProviderStore New(TestDatabase db, Action<OidcProviderStoreOptions>? configure = null,
        IDataProtectionProvider? keys = null, ILogger<SqlOidcProviderStore>? logger = null)
    {
        var options = new OidcProviderStoreOptions { PollInterval = null };
        configure?.Invoke(options);
        return new SqlOidcProviderStore(db.DataSource, Dialect(db), Options.Create(options), keys ?? SharedKeys, TimeProvider.System,
            logger ?? new ListLogger<SqlOidcProviderStore>());
    }

    public static OidcProviderOptions Provider(string id, string? callbackPath = null) => new()
    {
        Id = id,
        DisplayName = $"Provider {id}",
        Authority = $"https://op.example/{id}",
        ClientId = $"client-{id}",
        ClientSecret = $"plain-secret-of-{id}-0123456789",
        CallbackPath = callbackPath,
    };

    /// <summary>Waits for a condition that background work makes true; fails with what it saw after a generous deadline.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, Func<string> describe, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, describe());
            await Task.Delay(20);
        }
    }
}

/// <summary>A logger that keeps every line, to assert on event ids and on what a line never holds.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(EventId Id, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((eventId, formatter(state, exception) + (exception is null ? "" : " " + exception)));

    public int Count(int eventId) => Lines.Count(l => l.Id.Id == eventId);
}
