using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using OidcRp.Audit.Sql;

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
/// from Debian's <c>postgresql</c> package, started by this fixture on a free loopback port in a temp data
/// directory (as the <c>postgres</c> user when running as root: the server refuses to run as root).
/// Neither is ever skipped: without the package the tests fail and say what to install.
/// </summary>
public sealed class Databases : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"oidcrp-db-{Guid.NewGuid():N}");
    private string _pgData = "";
    private string _pgBin = "";
    private int _serial;

    public static TheoryData<string> Kinds => ["sqlite", "postgresql"];

    public int PostgresPort { get; private set; }

    public bool PostgresRunning { get; private set; }

    public string Root => _root;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _pgBin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault() ?? ""
            : "";
        if (_pgBin.Length == 0)
        {
            throw new InvalidOperationException("The audit store tests need PostgreSQL: apt-get install postgresql (scripts/test.sh does).");
        }
        _pgData = Path.Combine(_root, "pg");
        Directory.CreateDirectory(_pgData);
        if (IsRoot)
        {
            await RunAsync("chown", $"-R postgres:postgres {_root}");
        }
        await RunAsync("chmod", $"700 {_pgData}");
        await RunPgAsync("initdb", $"-D {_pgData} -U postgres -A trust -E UTF8 --no-sync --no-instructions");
        PostgresPort = Support.RpApp.FreePort();
        await StartPostgresAsync();
    }

    public async Task StartPostgresAsync()
    {
        // fsync off: these tests measure behaviour, not durability against power loss.
        await RunPgAsync("pg_ctl", $"-D {_pgData} -l {_pgData}/server.log -w -t 60 -o \"-p {PostgresPort} -k {_pgData} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start");
        PostgresRunning = true;
    }

    public async Task StopPostgresAsync()
    {
        await RunPgAsync("pg_ctl", $"-D {_pgData} -m fast -w -t 60 stop");
        PostgresRunning = false;
    }

    /// <summary>A new empty database of that kind.</summary>
    public async Task<TestDatabase> CreateAsync(string kind)
    {
        var name = $"audit_{Interlocked.Increment(ref _serial)}_{Guid.NewGuid():N}"[..24];
        if (kind == "sqlite")
        {
            var file = Path.Combine(_root, name + ".db");
            var connectionString = $"Data Source={file}";
            return new TestDatabase(kind, SqlAuditDialect.Sqlite, SqliteFactory.Instance.CreateDataSource(connectionString), connectionString);
        }
        var admin = $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database=postgres;Timeout=5";
        await using (var server = NpgsqlDataSource.Create(admin))
        {
            await using var create = server.CreateCommand($"CREATE DATABASE {name}");
            await create.ExecuteNonQueryAsync();
        }
        var pg = $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database={name};Timeout=3;Command Timeout=15";
        return new TestDatabase(kind, SqlAuditDialect.PostgreSql, NpgsqlDataSource.Create(pg), pg);
    }

    public async Task DisposeAsync()
    {
        if (PostgresRunning)
        {
            await StopPostgresAsync();
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPgAsync(string tool, string arguments) =>
        IsRoot ? RunAsync("runuser", $"-u postgres -- {Path.Combine(_pgBin, tool)} {arguments}") : RunAsync(Path.Combine(_pgBin, tool), arguments);

    private static async Task RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await output} {await errors}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DatabasesCollection : ICollectionFixture<Databases>
{
    public const string Name = "databases";
}
