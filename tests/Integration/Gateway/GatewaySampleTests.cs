using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OidcRp.Tests.Integration.Gateway;

/// <summary>
/// The gateway sample as a user runs it (its built program, Development, no provider configured: the development OP
/// starts in-process), over real HTTP on 127.0.0.1: a client-credentials token is proxied to the backend, which sees
/// the caller's subject; a token with a forged kid is refused by the gateway (RFC 6750) and never proxied.
/// </summary>
public sealed partial class GatewaySampleTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private static string GatewayDll => typeof(GatewaySampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "GatewaySampleDll").Value!;

    [Fact]
    public async Task Gateway_proxies_a_valid_token_and_refuses_a_forged_kid()
    {
        Assert.True(File.Exists(GatewayDll), $"build the solution first: {GatewayDll} is missing");
        using var process = Process.Start(new ProcessStartInfo("dotnet",
            [GatewayDll, "--urls", "http://127.0.0.1:0", "--environment", "Development", "--Gateway:Backend:Port=0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(GatewayDll)!,
        })!;
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        try
        {
            var (gateway, tokenEndpoint, clientId, secret, scope) = await ReadBannerAsync(process, errors);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var token = await ClientCredentialsAsync(http, tokenEndpoint, clientId, secret, scope);

            using var proxied = await CallAsync(http, $"{gateway}/orders/42", token);
            using var forged = await CallAsync(http, $"{gateway}/orders/42", ForgedKid(token));
            using var none = await CallAsync(http, $"{gateway}/orders/42", null);

            Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
            var body = JsonDocument.Parse(await proxied.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(("orders", "/orders/42", "dev", clientId),
                (body.GetProperty("service").GetString(), body.GetProperty("path").GetString(), body.GetProperty("provider").GetString(), body.GetProperty("subject").GetString()));
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
            Assert.Equal("Bearer error=\"invalid_token\"", forged.Headers.WwwAuthenticate.ToString());
            Assert.Equal("", await forged.Content.ReadAsStringAsync()); // the gateway's answer, not the backend's
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.ToString());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    private static async Task<(string Gateway, string TokenEndpoint, string ClientId, string Secret, string Scope)> ReadBannerAsync(Process process, StringBuilder errors)
    {
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        string? gateway = null;
        var output = new StringBuilder();
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.AppendLine(line);
                if (GatewayLine().Match(line) is { Success: true } g)
                {
                    gateway = g.Groups[1].Value;
                }
                if (gateway is not null && TokenLine().Match(line) is { Success: true } t)
                {
                    return (gateway, t.Groups[1].Value, t.Groups[2].Value, t.Groups[3].Value, t.Groups[4].Value);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }
        lock (errors)
        {
            throw new InvalidOperationException($"the gateway sample printed no banner (exited: {process.HasExited}); stdout: {output}; stderr: {errors}");
        }
    }

    private static async Task<string> ClientCredentialsAsync(HttpClient http, string tokenEndpoint, string clientId, string secret, string scope)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", scope)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token endpoint: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpResponseMessage> CallAsync(HttpClient http, string url, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await http.SendAsync(request);
    }

    private static string ForgedKid(string genuine) => Scenarios.BearerApi.ForgedKid(genuine);

    [GeneratedRegex(@"^OidcRp gateway sample: (http://127\.0\.0\.1:\d+) ")]
    private static partial Regex GatewayLine();

    [GeneratedRegex(@"token endpoint: (\S+) client: (\S+) secret: (\S+) scope: (\S+)")]
    private static partial Regex TokenLine();
}
