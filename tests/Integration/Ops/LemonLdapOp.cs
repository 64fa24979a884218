using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// LemonLDAP::NG 2.16 (OpenID Certified) from Debian's <c>lemonldap-ng</c> and <c>lemonldap-ng-fastcgi-server</c>
/// packages behind <c>nginx</c>, one instance per issuer: its own temp directory (ini, File configuration,
/// sessions, nginx configuration; see <see cref="LemonLdapFiles"/>), its FastCGI server (one worker) and nginx
/// on a free loopback port, both as <c>www-data</c> when run as root (the FastCGI server refuses root), and a
/// <see cref="LoopbackProxy"/> in front that is the portal and issuer URL: it counts requests at the OP's door
/// and can make the JWKS answer 503. The RP's client is registered with the package's
/// <c>lemonldap-ng-cli</c>, keys are made and rotated with its <c>rotateOidcKeys</c>. Never skipped: without
/// the packages the tests fail and name them.
/// </summary>
public sealed partial class LemonLdapOp : IOpFixture
{
    /// <summary>Scenario users and the Demo backend's built-in users that stand for them (password = login).</summary>
    public static readonly IReadOnlyDictionary<string, string> Users = new Dictionary<string, string>
    {
        ["alice"] = "dwho",
        ["bob"] = "rtyler",
        ["admin"] = "msmith",
    };

    private const string Bin = "/usr/share/lemonldap-ng/bin";
    private const string FastCgiServer = "/usr/sbin/llng-fastcgi-server";
    private const string ServiceUser = "www-data";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public string Name => "lemonldap-ng";

    /// <summary>LemonLDAP::NG types its access tokens <c>JWT</c>, not RFC 9068's <c>at+jwt</c>.</summary>
    public string AccessTokenType => "JWT";

    public string? SkipReason => null;

    public string? CannotRotate(RotationMode mode) => mode switch
    {
        RotationMode.DropOld or RotationMode.Unpublished => null,
        RotationMode.KeepOld => "LemonLDAP::NG keeps exactly one signing key (rotateOidcKeys replaces it): cannot keep the old key published",
        RotationMode.Stage or RotationMode.Promote => "LemonLDAP::NG keeps exactly one signing key: cannot publish a next key before it signs",
        RotationMode.Revert => "LemonLDAP::NG keeps exactly one signing key and the scenarios revert only after KeepOld: not expressed",
        _ => $"unknown rotation {mode}",
    };

    public (string Username, string Password) Credentials(string user) =>
        Users.TryGetValue(user, out var demo) ? (demo, demo) : (user, user + "-password");

    public async Task<IOpIssuer> StartIssuerAsync(string name, OpClient client)
    {
        foreach (var file in new[] { FastCgiServer, $"{Bin}/lemonldap-ng-cli", $"{Bin}/rotateOidcKeys", "/usr/sbin/nginx" })
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException(
                    $"LemonLDAP::NG is needed ({file} is missing): apt-get install lemonldap-ng lemonldap-ng-fastcgi-server nginx (scripts/test.sh does).");
            }
        }
        var started = Stopwatch.StartNew();
        var root = Path.Combine(Path.GetTempPath(), $"oidcrp-llng-{Guid.NewGuid():N}");
        var proxyPort = RpApp.FreePort();
        var nginxPort = RpApp.FreePort();
        var portal = $"http://127.0.0.1:{proxyPort}/";
        foreach (var dir in new[] { "conf", "sessions/lock", "psessions/lock", "cache", "nginx" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }
        await File.WriteAllTextAsync(Path.Combine(root, "lemonldap-ng.ini"), LemonLdapFiles.Ini(root));
        await File.WriteAllTextAsync(Path.Combine(root, "conf", "lmConf-1.json"), LemonLdapFiles.FirstConfiguration(root, portal));
        await File.WriteAllTextAsync(Path.Combine(root, "nginx", "nginx.conf"), LemonLdapFiles.Nginx(root, nginxPort));
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", root]);
        }
        var instance = new Instance(root);
        try
        {
            await instance.ToolAsync($"{Bin}/rotateOidcKeys"); // the first signing key
            await instance.ToolAsync($"{Bin}/lemonldap-ng-cli", ["-yes", "1", "addKey", .. LemonLdapFiles.ClientKeys(name, client)]);
            instance.Start(FastCgiServer, ["--foreground", "-n", "1", "-s", $"{root}/fcgi.sock", "-p", $"{root}/fcgi.pid"], "fcgi.log");
            instance.Start("/usr/sbin/nginx", ["-p", $"{root}/nginx", "-c", $"{root}/nginx/nginx.conf", "-e", $"{root}/nginx/error.log"], "nginx.log");
            instance.Direct = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{nginxPort}"), Timeout = TimeSpan.FromSeconds(10) };
            await instance.WaitForKidAsync(instance.SigningKid(), ReadyTimeout);
            instance.Proxy = await LoopbackProxy.StartAsync(proxyPort, Classify);
            instance.Proxy.Target = new Uri($"http://127.0.0.1:{nginxPort}");
        }
        catch (Exception e)
        {
            var logs = instance.Logs();
            await instance.DisposeAsync();
            throw new InvalidOperationException($"LemonLDAP::NG did not start after {started.Elapsed.TotalSeconds:0.0} s: {e.Message}\n{logs}", e);
        }
        return new Issuer(instance, name, portal, $"{name}-client", $"{name}-secret-value");
    }

    /// <summary>LemonLDAP's layout: one issuer per proxy (prefix "/"), endpoints under /oauth2/.</summary>
    private static (string Prefix, string Kind) Classify(string path) => ("/", path switch
    {
        "/.well-known/openid-configuration" => "discovery",
        "/oauth2/jwks" => "jwks",
        "/oauth2/token" => "token",
        _ => "other",
    });

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal static bool IsRoot => Environment.UserName == "root";

    internal static async Task RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {await output} {await errors}");
        }
    }

    [GeneratedRegex(@"^lmConf-(\d+)\.json$")]
    private static partial Regex ConfFile();

    /// <summary>One LemonLDAP::NG instance: its directory and the processes this fixture started (ended by their own ids).</summary>
    private sealed class Instance(string root) : IAsyncDisposable
    {
        private readonly List<Process> _processes = [];

        public HttpClient? Direct { get; set; }

        public LoopbackProxy? Proxy { get; set; }

        private Dictionary<string, string> Environment => new()
        {
            ["LLNG_DEFAULTCONFFILE"] = Path.Combine(root, "lemonldap-ng.ini"),
            ["LLNG_DEFAULTLOGGER"] = "Lemonldap::NG::Common::Logger::Std",
        };

        /// <summary>Runs a package tool as the service user (lemonldap-ng-cli switches to www-data by itself when root).</summary>
        public Task ToolAsync(string tool, IEnumerable<string>? arguments = null) => IsRoot
            ? RunAsync("runuser", ["-u", ServiceUser, "--", "env", .. Environment.Select(e => $"{e.Key}={e.Value}"), tool, .. arguments ?? []])
            : RunAsync(tool, arguments ?? [], Environment);

        public void Start(string file, IEnumerable<string> arguments, string log)
        {
            var start = IsRoot
                ? new ProcessStartInfo("runuser", ["-u", ServiceUser, "--", "env", .. Environment.Select(e => $"{e.Key}={e.Value}"), file, .. arguments])
                : new ProcessStartInfo(file, arguments);
            start.UseShellExecute = false;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            foreach (var (key, value) in Environment)
            {
                start.Environment[key] = value;
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
            var writer = new StreamWriter(Path.Combine(root, log)) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => { lock (writer) { writer.WriteLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (writer) { writer.WriteLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _processes.Add(process);
        }

        /// <summary>The kid of the newest saved configuration (rotateOidcKeys saves a new one).</summary>
        public string SigningKid()
        {
            var newest = Directory.GetFiles(Path.Combine(root, "conf"))
                .Select(f => (File: f, Match: ConfFile().Match(Path.GetFileName(f))))
                .Where(f => f.Match.Success)
                .MaxBy(f => int.Parse(f.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).File;
            using var conf = JsonDocument.Parse(File.ReadAllText(newest));
            return conf.RootElement.GetProperty("oidcServiceKeyIdSig").GetString()!;
        }

        public async Task<string> JwksAsync() => await Direct!.GetStringAsync("/oauth2/jwks");

        /// <summary>
        /// Waits until the one worker serves this kid (it re-reads the configuration every checkTime, 1 s):
        /// from then on it also signs with that key. Asked at nginx directly, so the proxy counts nothing.
        /// </summary>
        public async Task WaitForKidAsync(string kid, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            string? last = null;
            while (clock.Elapsed < timeout)
            {
                if (_processes.Find(p => p.HasExited) is { } exited)
                {
                    throw new InvalidOperationException($"{exited.StartInfo.FileName} exited with {exited.ExitCode}");
                }
                try
                {
                    last = await JwksAsync();
                    using var jwks = JsonDocument.Parse(last);
                    if (jwks.RootElement.GetProperty("keys").EnumerateArray().Any(k => k.GetProperty("kid").GetString() == kid))
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or KeyNotFoundException or InvalidOperationException)
                {
                    last = e.Message;
                }
                await Task.Delay(100);
            }
            throw new TimeoutException($"the JWKS did not show kid {kid} within {timeout.TotalSeconds:0} s (last answer: {last})");
        }

        public string Logs() => string.Join('\n', new[] { "fcgi.log", "nginx.log", "nginx/error.log" }
            .Select(f => Path.Combine(root, f)).Where(File.Exists).Select(f => $"--- {f}\n{ReadShared(f)}"));

        private static string ReadShared(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }

        public async ValueTask DisposeAsync()
        {
            if (Proxy is not null)
            {
                await Proxy.DisposeAsync();
            }
            Direct?.Dispose();
            foreach (var process in _processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
                process.Dispose();
            }
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>One issuer: rotations by rotateOidcKeys (the old key leaves at once), counts and outages at the proxy.</summary>
    private sealed class Issuer(Instance instance, string name, string authority, string clientId, string clientSecret) : IOpIssuer
    {
        public string Authority => authority;

        public string ClientId => clientId;

        private string _secret = clientSecret;

        public string ClientSecret => _secret;

        /// <summary>
        /// Sets the client's secret with lemonldap-ng-cli, then waits until the worker serves the new configuration
        /// (<c>checkTime = 1</c>): a client-credentials grant with the new secret succeeds.
        /// </summary>
        public async Task<bool> TryChangeClientSecretAsync(string secret)
        {
            await instance.ToolAsync($"{Bin}/lemonldap-ng-cli", ["-yes", "1", "addKey", $"oidcRPMetaDataOptions/{name}", "oidcRPMetaDataOptionsClientSecret", secret]);
            _secret = secret;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                try
                {
                    await ClientCredentialsTokenAsync();
                    return true;
                }
                catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250);
                }
            }
        }

        public async Task<string> RotateAsync(RotationMode mode)
        {
            if (mode is not (RotationMode.DropOld or RotationMode.Unpublished))
            {
                throw new NotSupportedException($"LemonLDAP::NG cannot express {mode}; scenarios skip it through OpsFixture.Get");
            }
            if (mode == RotationMode.Unpublished)
            {
                // The proxy keeps answering the JWKS as it was: the new key signs and the JWKS never shows it.
                instance.Proxy!.PinnedJwks["/"] = await instance.JwksAsync();
            }
            var old = instance.SigningKid();
            await instance.ToolAsync($"{Bin}/rotateOidcKeys");
            var kid = instance.SigningKid();
            if (kid == old)
            {
                throw new InvalidOperationException("rotateOidcKeys saved no new key");
            }
            await instance.WaitForKidAsync(kid, TimeSpan.FromSeconds(30));
            return kid;
        }

        public Task SetJwksDownAsync(bool down)
        {
            if (down)
            {
                instance.Proxy!.JwksDown["/"] = true;
            }
            else
            {
                instance.Proxy!.JwksDown.TryRemove("/", out _);
            }
            return Task.CompletedTask;
        }

        public Task<OpCounts> CountsAsync()
        {
            var proxy = instance.Proxy!;
            return Task.FromResult(new OpCounts(proxy.Count("/", "discovery"), proxy.Count("/", "jwks"), proxy.Count("/", "token")));
        }

        /// <summary>The client may use the grant and gets JWT access tokens with the API as an additional audience (see LemonLdapFiles).</summary>
        public Task<string> ClientCredentialsTokenAsync() =>
            AccessTokens.ClientCredentialsAsync($"{authority}oauth2/token", clientId, _secret, ("scope", "openid"));

        public ValueTask DisposeAsync() => instance.DisposeAsync();
    }
}
