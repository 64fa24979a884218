using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OidcRp.Samples.MvcApp;

/// <summary>
/// OidcRp's meter and activity source sent to an OTLP collector, only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
/// (environment, command line or appsettings; the exporter reads <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c> and the other standard variables itself), and <c>/healthz</c> with OidcRp's health check.
/// </summary>
public static class SampleTelemetry
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string HealthPath = "/healthz";

    public static void Add(WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddOidcRpProviders();
        if (string.IsNullOrWhiteSpace(builder.Configuration[EndpointKey]))
        {
            return; // no collector: no OpenTelemetry SDK at all, nothing collected, nothing exported
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (builder.Configuration["OTEL_SERVICE_NAME"] is null)
                {
                    resource.AddService("oidcrp-sample-mvc");
                }
            })
            .WithMetrics(metrics => metrics
                .AddMeter(OidcRpDiagnostics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter())
            .WithTracing(tracing => tracing
                .AddSource(OidcRpDiagnostics.ActivitySourceName)
                .AddAspNetCoreInstrumentation()
                // The discovery and JWKS requests show as children of OidcRp.RefreshKeys.
                .AddHttpClientInstrumentation()
                .AddOtlpExporter());
    }

    /// <summary>
    /// <c>/healthz</c>, anonymous for probes: the overall status and each check's status (200, or 503 when unhealthy),
    /// nothing else. Provider ids can name customers (a provider store's tenants) and descriptions name error codes, so
    /// only the sample's admins also get each provider's status and the descriptions. Never a URL or a secret.
    /// </summary>
    public static void Map(WebApplication app) =>
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous();

    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        var admin = context.User.Identity?.IsAuthenticated == true
            && (await authorization.AuthorizeAsync(context.User, context, SampleApp.AdminPolicy)).Succeeded;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (admin)
            {
                json.WriteString("description", entry.Description);
                json.WriteStartObject("providers");
                foreach (var (id, value) in entry.Data)
                {
                    if (value is HealthStatus status)
                    {
                        json.WriteString(id, status.ToString());
                    }
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
