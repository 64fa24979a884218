using System.Diagnostics;
using System.Net;
using System.Text;
using OidcRp.Tests.Integration.Samples;

namespace OidcRp.Tests.Integration.Gateway;

/// <summary>
/// The gateway sample's telemetry as a user turns it on, through the standard OTEL_* environment variables: the OidcRp
/// meter's bearer instrument and the kid-miss span of a forged kid reach an OTLP/HTTP receiver on 127.0.0.1, and
/// <c>/healthz</c> answers anonymously with statuses only.
/// </summary>
public sealed partial class GatewaySampleTests
{
    [Fact]
    public async Task Gateway_exports_bearer_metrics_and_the_forged_kid_span_to_otlp_and_answers_healthz()
    {
        Assert.True(File.Exists(GatewayDll), $"build the solution first: {GatewayDll} is missing");
        await using var receiver = await OtlpReceiver.StartAsync();
        var start = new ProcessStartInfo("dotnet", [GatewayDll, "--urls", "http://127.0.0.1:0", "--environment", "Development", "--Gateway:Backend:Port=0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(GatewayDll)!,
        };
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint;
        start.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        // Short export periods: the process is killed at the end, so nothing is flushed at shutdown.
        start.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "200";
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        using var process = Process.Start(start)!;
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
            using var health = await http.GetAsync($"{gateway}/healthz");
            var healthBody = await health.Content.ReadAsStringAsync();

            // Bounded wait for the periodic exports (not a timing assertion: what arrives is asserted below).
            for (var i = 0; i < 300 && !(Received(receiver, "oidcrp.bearer.tokens") && RecoverySpan(receiver) is not null); i++)
            {
                await Task.Delay(100);
            }

            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (proxied.StatusCode, forged.StatusCode));
            Assert.Equal((HttpStatusCode.OK, """{"status":"Healthy","checks":{"oidcrp":{"status":"Healthy"}}}"""), (health.StatusCode, healthBody));
            Assert.True(Received(receiver, "oidcrp.bearer.tokens"), "no oidcrp.bearer.tokens at the receiver: " + string.Join(",", receiver.Paths));
            Assert.True(Received(receiver, "oidcrp.key.refreshes"));
            var recovery = RecoverySpan(receiver);
            Assert.NotNull(recovery);
            Assert.Equal(("dev", "bearer", "kid_mismatch_unrecovered"),
                (recovery["oidcrp.provider"], recovery["oidcrp.path"], recovery["oidcrp.category"]));
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

    private static bool Received(OtlpReceiver receiver, string instrument) =>
        receiver.Instruments()[OidcRpDiagnostics.MeterName].Contains(instrument);

    private static IReadOnlyDictionary<string, string>? RecoverySpan(OtlpReceiver receiver) =>
        receiver.Spans()[OidcRpDiagnostics.ActivitySourceName].Where(s => s.Name == "OidcRp.RecoverKidMiss").Select(s => s.Attributes).FirstOrDefault();
}
