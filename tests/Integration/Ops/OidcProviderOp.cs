using System.Diagnostics;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace OidcRp.Tests.Integration.Ops;

/// <summary>
/// panva's oidc-provider (OpenID Certified), one Node process per issuer on 127.0.0.1, with test routes
/// to rotate keys and count requests (see oidc-provider/server.mjs). Never skipped: without Node or its
/// npm packages the tests fail.
/// </summary>
public sealed class OidcProviderOp : IOpFixture
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool _installed;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public string Name => "oidc-provider";

    public string? SkipReason => null;

    public static string Directory => typeof(OidcProviderOp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "OidcProviderDirectory").Value!;

    public async Task<IOpIssuer> StartIssuerAsync(string name, OpClient client)
    {
        await EnsureInstalledAsync();
        var arguments = new StringBuilder($"server.mjs --port 0 --client-id {name}-client --client-secret {name}-secret-value");
        foreach (var uri in client.RedirectUris)
        {
            arguments.Append(" --redirect-uri ").Append(uri);
        }
        foreach (var uri in client.PostLogoutRedirectUris)
        {
            arguments.Append(" --post-logout-redirect-uri ").Append(uri);
        }
        var start = new ProcessStartInfo("node", arguments.ToString())
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        var ready = await ReadReadyLineAsync(process, errors);
        return new Issuer(process, ready, $"{name}-client", $"{name}-secret-value");
    }

    private static async Task<string> ReadReadyLineAsync(Process process, StringBuilder errors)
    {
        var started = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    return line[6..].Trim();
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
        }
        lock (errors)
        {
            throw new InvalidOperationException(
                $"oidc-provider was not ready after {started.Elapsed.TotalSeconds:0.0} s (exited: {process.HasExited}); its stderr: {errors}");
        }
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (_installed || File.Exists(Path.Combine(Directory, "node_modules", "oidc-provider", "package.json")))
            {
                _installed = true;
                return;
            }
            var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = Directory, UseShellExecute = false })
                ?? throw new InvalidOperationException("npm did not start");
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed with exit code {npm.ExitCode} in {Directory}");
            }
            _installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Issuer(Process process, string authority, string clientId, string clientSecret) : IOpIssuer
    {
        private readonly HttpClient _control = new() { BaseAddress = new Uri(authority) };

        public string Authority => authority;

        public string ClientId => clientId;

        private string _secret = clientSecret;

        public string ClientSecret => _secret;

        public async Task<bool> TryChangeClientSecretAsync(string secret)
        {
            using var body = new FormUrlEncodedContent([new("secret", secret)]);
            using var response = await _control.PostAsync("/__test/client-secret", body);
            response.EnsureSuccessStatusCode();
            _secret = secret;
            return true;
        }

        public async Task<string> RotateAsync(RotationMode mode)
        {
            var name = mode switch
            {
                RotationMode.KeepOld => "keep",
                RotationMode.DropOld => "drop",
                RotationMode.Stage => "stage",
                RotationMode.Promote => "promote",
                RotationMode.Unpublished => "unpublished",
                RotationMode.Revert => "revert",
                _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
            };
            using var response = await _control.PostAsync($"/__test/rotate?mode={name}", null);
            response.EnsureSuccessStatusCode();
            var state = await response.Content.ReadFromJsonAsync<JsonElement>();
            return state.GetProperty("signing").GetString()!;
        }

        public async Task SetJwksDownAsync(bool down)
        {
            using var response = await _control.PostAsync($"/__test/jwks?down={(down ? "true" : "false")}", null);
            response.EnsureSuccessStatusCode();
        }

        public async Task<OpCounts> CountsAsync()
        {
            var counts = await _control.GetFromJsonAsync<JsonElement>("/__test/counts");
            return new OpCounts(counts.GetProperty("discovery").GetInt32(), counts.GetProperty("jwks").GetInt32(), counts.GetProperty("token").GetInt32());
        }

        /// <summary>With the RFC 8707 resource indicator the token is a JWT for the API (see server.mjs).</summary>
        public Task<string> ClientCredentialsTokenAsync() => AccessTokens.ClientCredentialsAsync(
            $"{authority}/token", clientId, _secret, ("resource", "https://api.oidcrp.test/"), ("scope", "api:read"));

        public async ValueTask DisposeAsync()
        {
            _control.Dispose();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }
}
