namespace OidcRp;

/// <summary>
/// The names an app passes to its telemetry (OpenTelemetry's <c>AddMeter</c> and <c>AddSource</c>, a
/// <c>MeterListener</c> or an <c>ActivityListener</c>) to collect OidcRp's metrics and activities.
/// </summary>
public static class OidcRpDiagnostics
{
    /// <summary>The name of OidcRp's <see cref="System.Diagnostics.Metrics.Meter"/>: <c>OidcRp</c>.</summary>
    public const string MeterName = "OidcRp";

    /// <summary>The name of OidcRp's <see cref="System.Diagnostics.ActivitySource"/>: <c>OidcRp</c>.</summary>
    public const string ActivitySourceName = "OidcRp";
}
