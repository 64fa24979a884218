using System.Diagnostics;

namespace OidcRp.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL server from Debian's <c>postgresql</c> package: a temp data directory, a free
/// loopback port, its socket in the data directory, run as the <c>postgres</c> user when the caller is
/// root (the server refuses to run as root). For tests and benchmarks; fsync is off.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;

    private PostgresServer(string bin, string root)
    {
        _bin = bin;
        Root = root;
        _data = Path.Combine(root, "pg");
    }

    /// <summary>A temp directory owned by the server's user, removed on dispose.</summary>
    public string Root { get; }

    public int Port { get; private set; }

    public bool Running { get; private set; }

    /// <summary>Initialises a cluster and starts it; fails with the package to install when PostgreSQL is missing.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is needed: apt-get install postgresql (scripts/test.sh does).");
        }
        var server = new PostgresServer(bin, Path.Combine(Path.GetTempPath(), $"oidcrp-pg-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(server._data);
        if (IsRoot)
        {
            await RunAsync("chown", $"-R postgres:postgres {server.Root}");
        }
        await RunAsync("chmod", $"700 {server._data}");
        await server.RunPgAsync("initdb", $"-D {server._data} -U postgres -A trust -E UTF8 --no-sync --no-instructions");
        server.Port = RpApp.FreePort();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the stopped server on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        await RunPgAsync("pg_ctl", $"-D {_data} -l {_data}/server.log -w -t 60 -o \"-p {Port} -k {_data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start");
        Running = true;
    }

    /// <summary>A fast shutdown: open connections are cut, as when a database host goes away.</summary>
    public async Task StopAsync()
    {
        await RunPgAsync("pg_ctl", $"-D {_data} -m fast -w -t 60 stop");
        Running = false;
    }

    /// <summary>Creates an empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await RunPgAsync("createdb", $"-h 127.0.0.1 -p {Port} -U postgres {name}");
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Timeout=3;Command Timeout=15";
    }

    public async ValueTask DisposeAsync()
    {
        if (Running)
        {
            await StopAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPgAsync(string tool, string arguments) =>
        IsRoot ? RunAsync("runuser", $"-u postgres -- {Path.Combine(_bin, tool)} {arguments}") : RunAsync(Path.Combine(_bin, tool), arguments);

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
