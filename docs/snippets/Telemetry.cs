using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OidcRp.Docs.Snippets;

/// <summary>docs/opentelemetry.md: OidcRp's meter and activity source to OTLP, and its health check.</summary>
public static class TelemetrySnippets
{
    /// <summary>Exports OidcRp's meter and activity source over OTLP when an endpoint is configured.</summary>
    public static void AddTelemetry(WebApplicationBuilder builder)
    {
        #region otlp
        // OTEL_EXPORTER_OTLP_ENDPOINT from the environment, the command line or appsettings.json.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry()
                .WithMetrics(metrics => metrics
                    .AddMeter(OidcRpDiagnostics.MeterName)
                    .AddAspNetCoreInstrumentation()            // optional
                    .AddOtlpExporter())
                .WithTracing(tracing => tracing
                    .AddSource(OidcRpDiagnostics.ActivitySourceName)
                    .AddAspNetCoreInstrumentation()            // optional
                    .AddHttpClientInstrumentation()            // optional: discovery and JWKS requests
                    .AddOtlpExporter());
        }
        #endregion
    }

    /// <summary>Adds OidcRp's health check and maps it.</summary>
    public static WebApplication AddHealth(WebApplicationBuilder builder)
    {
        #region health
        builder.Services.AddHealthChecks().AddOidcRpProviders();
        // …
        var app = builder.Build();
        app.MapHealthChecks("/healthz");
        #endregion
        return app;
    }

    /// <summary>Keeps the provider check out of liveness.</summary>
    public static void MapProbes(WebApplication app)
    {
        #region health-probes
        app.MapHealthChecks("/livez", new HealthCheckOptions { Predicate = _ => false }); // the app answers
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains("oidcrp") });
        #endregion
    }
}
