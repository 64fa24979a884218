using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace OidcRp.Tests.Support;

/// <summary>
/// A throwaway Redis from Debian's <c>redis-server</c> package: a free loopback port, its own temp directory, no
/// persistence (a restart starts empty, as a failed-over cache would), no systemd. Never skipped: a missing server
/// fails the test with the package to install (scripts/test.sh installs it).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";

    private Process? _process;

    private RedisServer(string root)
    {
        Root = root;
    }

    /// <summary>The server's working directory, removed on dispose.</summary>
    public string Root { get; }

    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public bool Running => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException("Redis is needed: apt-get install redis-server (scripts/test.sh does).");
        }
        var server = new RedisServer(Path.Combine(Path.GetTempPath(), $"oidcrp-redis-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(server.Root);
        server.Port = RpApp.FreePort();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the stopped server on the same port (empty: nothing was persisted).</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", Root, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning" })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!await PingAsync())
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"redis-server did not answer on port {Port} (exited: {_process.HasExited}).");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Kills the server at once, as when a cache host goes away.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"));
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
