using System.Net;
using System.Net.Sockets;

namespace OidcRp.Tests.Support;

/// <summary>
/// Ports for servers that must know their port before they start (an OP registers the RP's redirect URI first, and
/// PostgreSQL, Redis, nginx and the fresh app are told theirs). A port taken from the kernel's ephemeral range and
/// released is up for grabs again: any outgoing connection made meanwhile (another test's HTTP client, a database
/// connection) may get it, and the server then fails with "address already in use" (seen in CI while the
/// LemonLDAP::NG CLI ran between picking and binding). So ports come from below that range, where the kernel never
/// assigns one on its own, each handed out once per test process, and each probed by a bind before it is given.
/// </summary>
public static class LoopbackPorts
{
    private static readonly (int Low, int High) Range = PickRange();
    // Test processes run one at a time (test.sh passes -m:1), but a start offset per process keeps two runs on one
    // machine (two worktrees) from walking the same sequence.
    private static int _next = Range.Low + (Environment.ProcessId * 7919 % (Range.High - Range.Low));

    /// <summary>A loopback port no other caller in this process was given and that was free a moment ago.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Range.High - Range.Low; attempt++)
        {
            var port = Range.Low + ((Interlocked.Increment(ref _next) - Range.Low) % (Range.High - Range.Low));
            if (IsFree(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {Range.Low}-{Range.High}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Below the ephemeral range when there is room (Linux's default is 32768-60999), else above it.</summary>
    private static (int Low, int High) PickRange()
    {
        var (low, high) = (32768, 60999);
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            (low, high) = (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // not Linux, or unreadable: assume the default
        }
        return low - 20000 >= 1024 ? (low - 20000, low - 1) : (high + 1, 65535);
    }
}
