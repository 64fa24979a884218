using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using OidcRp.Audit.Sql;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.AuditStore;

/// <summary>A fresh, empty database of one kind for one test.</summary>
public sealed record TestDatabase(string Kind, SqlAuditDialect Dialect, DbDataSource DataSource, string ConnectionString) : IAsyncDisposable
{
    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync();
}

/// <summary>
/// Real databases for the audit store tests: SQLite files in a temp directory, and a PostgreSQL server
/// from Debian's <c>postgresql</c> package (<see cref="PostgresServer"/>). Neither is ever skipped:
/// without the package the tests fail and say what to install.
/// </summary>
public sealed class Databases : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private int _serial;

    public static TheoryData<string> Kinds => ["sqlite", "postgresql"];

    public bool PostgresRunning => _postgres.Running;

    /// <summary>A temp directory for SQLite files and spill files, removed at the end.</summary>
    public string Root => _postgres.Root;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    /// <summary>A spill path in a directory of its own that does not exist yet: the store creates it owner-only.</summary>
    public string SpillPath() => Path.Combine(Root, $"spill-{Guid.NewGuid():N}", "audit-spill.jsonl");

    /// <summary>The spill segments (and any single spill file) still on disk.</summary>
    public static string[] SpillSegments(string spillPath) =>
        Directory.Exists(Path.GetDirectoryName(spillPath)) ? Directory.GetFiles(Path.GetDirectoryName(spillPath)!, Path.GetFileName(spillPath) + "*") : [];

    public Task StartPostgresAsync() => _postgres.StartAgainAsync();

    public Task StopPostgresAsync() => _postgres.StopAsync();

    /// <summary>A new empty database of that kind.</summary>
    public async Task<TestDatabase> CreateAsync(string kind)
    {
        var name = $"audit_{Interlocked.Increment(ref _serial)}_{Guid.NewGuid():N}"[..24];
        if (kind == "sqlite")
        {
            var connectionString = $"Data Source={Path.Combine(Root, name + ".db")}";
            return new TestDatabase(kind, SqlAuditDialect.Sqlite, SqliteFactory.Instance.CreateDataSource(connectionString), connectionString);
        }
        var pg = await _postgres.CreateDatabaseAsync(name);
        return new TestDatabase(kind, SqlAuditDialect.PostgreSql, NpgsqlDataSource.Create(pg), pg);
    }

    public async Task DisposeAsync() => await _postgres.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class DatabasesCollection : ICollectionFixture<Databases>
{
    public const string Name = "databases";
}
