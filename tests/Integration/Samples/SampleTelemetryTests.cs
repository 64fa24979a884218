using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OidcRp.Samples.MvcApp;
using OidcRp.Tests.Support;

namespace OidcRp.Tests.Integration.Samples;

/// <summary>
/// The MvcApp sample's telemetry, over real HTTP on 127.0.0.1 against the test OP (provider <c>tenant-acme</c>): with
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, a small OTLP/HTTP receiver gets the OidcRp meter's instruments and the
/// OidcRp source's spans; without it no OpenTelemetry service is registered at all; <c>/healthz</c> follows the OP.
/// </summary>
public sealed class SampleTelemetryTests : IAsyncLifetime
{
    private const string Provider = "tenant-acme";
    private static readonly HttpClient Http = new();
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"oidcrp-sample-telemetry-{Guid.NewGuid():N}.db");
    private TestOp _op = null!;

    public async Task InitializeAsync() => _op = await TestOp.StartAsync();

    public async Task DisposeAsync()
    {
        await _op.DisposeAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_database)!, Path.GetFileName(_database) + "*"))
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Otlp_receives_the_OidcRp_meter_and_spans_of_a_login_and_a_recovered_rotation()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var (app, services, url) = await StartSampleAsync("--OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint,
            "--OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        try
        {
            using (var first = new BrowserClient(url))
            using (var login = await first.LoginAsync(Provider))
            {
                Assert.Equal(HttpStatusCode.Found, login.StatusCode);
            }
            _op.Rotate("rotated", TestOpRotation.KeepOld); // the next ID token names a kid the sample has not seen
            using var second = new BrowserClient(url);
            using var recovered = await second.LoginAsync(Provider);
            Assert.Equal(HttpStatusCode.Found, recovered.StatusCode);
            Assert.Equal(2, _op.Count("jwks")); // the first load, then exactly one fetch for the rotation
        }
        finally
        {
            // Stopping flushes: the SDK's providers export what they hold when the host disposes them.
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Assert.Contains(services, d => d.ServiceType.Namespace?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true);
        var instruments = receiver.Instruments()[OidcRpDiagnostics.MeterName].ToHashSet();
        Assert.Superset(new HashSet<string> { "oidcrp.key.refreshes", "oidcrp.key.refresh.duration", "oidcrp.logins", "oidcrp.kid_mismatch.recoveries" },
            instruments);
        var spans = receiver.Spans()[OidcRpDiagnostics.ActivitySourceName].ToList();
        Assert.Superset(new HashSet<string> { "OidcRp.RefreshKeys", "OidcRp.ValidateIdToken", "OidcRp.RecoverKidMiss" }, spans.Select(s => s.Name).ToHashSet());
        var recovery = Assert.Single(spans, s => s.Name == "OidcRp.RecoverKidMiss" && s.Attributes.GetValueOrDefault("oidcrp.provider") == Provider);
        Assert.Equal((Provider, "id_token", "kid_mismatch_recovered"),
            (recovery.Attributes["oidcrp.provider"], recovery.Attributes["oidcrp.path"], recovery.Attributes["oidcrp.category"]));
        Assert.Contains(spans, s => s.Name == "OidcRp.RefreshKeys" && s.Attributes.GetValueOrDefault("oidcrp.provider") == Provider);
        Assert.Contains("/v1/traces", receiver.Paths);
    }

    [Fact]
    public async Task Without_an_endpoint_no_OpenTelemetry_service_is_registered()
    {
        var (app, services, url) = await StartSampleAsync();
        await using (app)
        {
            using var browser = new BrowserClient(url);
            using var login = await browser.LoginAsync(Provider);

            Assert.Equal(HttpStatusCode.Found, login.StatusCode);
            Assert.DoesNotContain(services, d => d.ServiceType.Namespace?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true
                || d.ImplementationType?.Namespace?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true);
        }
    }

    [Fact]
    public async Task Healthz_is_healthy_then_degraded_when_the_jwks_is_down_and_tells_anonymous_callers_statuses_only()
    {
        var (app, _, url) = await StartSampleAsync($"--Sample:Admin:Users:2={Provider}:alice");
        await using (app)
        {
            using var admin = new BrowserClient(url);
            using (var login = await admin.LoginAsync(Provider))
            {
                Assert.Equal(HttpStatusCode.Found, login.StatusCode);
            }
            var (healthyCode, healthy) = await HealthAsync(url);

            _op.JwksDown = true;
            var refresh = await app.Services.GetRequiredService<IOidcProviders>().RefreshAsync(Provider, "test", CancellationToken.None);
            var (degradedCode, degraded) = await HealthAsync(url);
            using var detailed = await admin.GetAsync($"{url}/healthz");
            var detail = await detailed.Content.ReadAsStringAsync();

            Assert.Equal(OidcRefreshStatus.Failed, refresh.Status);
            Assert.Equal((HttpStatusCode.OK, "Healthy", "Healthy"), (healthyCode, Status(healthy), Status(healthy, "oidcrp")));
            Assert.Equal((HttpStatusCode.OK, "Degraded", "Degraded"), (degradedCode, Status(degraded), Status(degraded, "oidcrp")));
            Assert.Equal("""{"status":"Degraded","checks":{"oidcrp":{"status":"Degraded"}}}""", degraded); // no id, no description
            var checks = JsonDocument.Parse(detail).RootElement.GetProperty("checks").GetProperty("oidcrp");
            Assert.Equal("Degraded", checks.GetProperty("providers").GetProperty(Provider).GetString());
            Assert.Contains("jwks_", checks.GetProperty("description").GetString(), StringComparison.Ordinal); // the code, for an operator
            foreach (var body in new[] { healthy, degraded, detail })
            {
                Assert.DoesNotContain(_op.Secret, body, StringComparison.Ordinal);
                Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
                Assert.DoesNotContain("?", body, StringComparison.Ordinal);
                Assert.DoesNotContain("://", body, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Healthz_is_unhealthy_503_while_a_provider_cannot_load_its_keys()
    {
        var closed = ClosedPort();
        var (app, _, url) = await StartSampleAsync("--OidcRp:Providers:dead:Authority", $"http://127.0.0.1:{closed}/realm",
            "--OidcRp:Providers:dead:ClientId", "rp", "--OidcRp:Providers:dead:ClientSecret", "dead-secret-value",
            "--OidcRp:Providers:dead:RequireHttpsMetadata", "false");
        await using (app)
        {
            using (var login = await new BrowserClient(url).LoginAsync(Provider))
            {
                Assert.Equal(HttpStatusCode.Found, login.StatusCode);
            }
            using var failed = await Http.GetAsync($"{url}/auth/oidc/dead/login"); // tries to load, cannot
            var (code, body) = await HealthAsync(url);

            Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (code, Status(body)));
            Assert.DoesNotContain("dead", body, StringComparison.Ordinal);
        }
    }

    private async Task<(WebApplication App, IServiceCollection Services, string Url)> StartSampleAsync(params string[] extra)
    {
        IServiceCollection? services = null;
        var app = await SampleApp.BuildAsync(["--environment", "Development", "--urls", "http://127.0.0.1:0",
                "--Sample:Audit:Store", "memory", "--ConnectionStrings:OidcRpProviders", $"Data Source={_database}",
                $"--OidcRp:Providers:{Provider}:Authority", _op.Issuer, $"--OidcRp:Providers:{Provider}:ClientId", _op.ClientId,
                $"--OidcRp:Providers:{Provider}:ClientSecret", _op.Secret, $"--OidcRp:Providers:{Provider}:RequireHttpsMetadata", "false",
                .. extra],
            builder =>
            {
                builder.Logging.ClearProviders();
                services = builder.Services; // read after the build: the sample registers the rest later
            });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return (app, services!, url);
    }

    private static async Task<(HttpStatusCode, string)> HealthAsync(string url)
    {
        using var response = await Http.GetAsync($"{url}/healthz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string? Status(string body, string? check = null)
    {
        var root = JsonDocument.Parse(body).RootElement;
        return (check is null ? root : root.GetProperty("checks").GetProperty(check)).GetProperty("status").GetString();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: nothing answers there
    }
}
