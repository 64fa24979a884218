using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OidcRp.Samples.Gateway;

/// <summary>
/// The same telemetry as the MvcApp sample (docs/opentelemetry.md): OidcRp's meter and activity source to OTLP only
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and an anonymous <c>/healthz</c> that tells statuses only.
/// </summary>
public static class GatewayTelemetry
{
    public const string HealthPath = "/healthz";

    public static void Add(WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddOidcRpProviders();
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return; // no collector: no OpenTelemetry SDK at all
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (builder.Configuration["OTEL_SERVICE_NAME"] is null)
                {
                    resource.AddService("oidcrp-sample-gateway");
                }
            })
            .WithMetrics(metrics => metrics.AddMeter(OidcRpDiagnostics.MeterName).AddAspNetCoreInstrumentation().AddOtlpExporter())
            .WithTracing(tracing => tracing.AddSource(OidcRpDiagnostics.ActivitySourceName).AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation().AddOtlpExporter());
    }

    /// <summary>Anonymous, before the proxy's routes: the overall and each check's status (503 when unhealthy), nothing else.</summary>
    public static void Map(WebApplication app) =>
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous();

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
