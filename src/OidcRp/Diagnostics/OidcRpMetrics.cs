using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OidcRp.Diagnostics;

/// <summary>The <c>OidcRp</c> meter: refreshes by trigger and outcome, login outcomes, recoveries, audit failures.</summary>
internal sealed class OidcRpMetrics
{
    public const string MeterName = OidcRpDiagnostics.MeterName;

    private readonly Counter<long> _refreshes;
    private readonly Histogram<double> _refreshDuration;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _recoveries;
    private readonly Counter<long> _auditFailures;
    private readonly Counter<long> _providerChanges;

    public OidcRpMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _refreshes = meter.CreateCounter<long>("oidcrp.key.refreshes", description: "Discovery/JWKS refreshes by provider, trigger and outcome.");
        _refreshDuration = meter.CreateHistogram<double>("oidcrp.key.refresh.duration", unit: "s", description: "Time of one refresh fetch.");
        _logins = meter.CreateCounter<long>("oidcrp.logins", description: "Login outcomes by provider and audit category.");
        _recoveries = meter.CreateCounter<long>("oidcrp.kid_mismatch.recoveries", description: "Logins recovered after a signing-key rotation.");
        _auditFailures = meter.CreateCounter<long>("oidcrp.audit.write_failures", description: "Audit rows the sink failed to write.");
        _providerChanges = meter.CreateCounter<long>("oidcrp.provider.changes", description: "Run-time provider changes by provider, source and outcome (added, changed, removed, refused).");
    }

    public void Refresh(string providerId, string trigger, string outcome, TimeSpan duration)
    {
        var tags = new TagList { { "provider", providerId }, { "trigger", trigger }, { "outcome", outcome } };
        _refreshes.Add(1, tags);
        if (duration > TimeSpan.Zero)
        {
            _refreshDuration.Record(duration.TotalSeconds, tags);
        }
    }

    public void Login(string providerId, string category, string outcome)
    {
        _logins.Add(1, new TagList { { "provider", providerId }, { "category", category }, { "outcome", outcome } });
        if (category == Audit.OidcAuditCategories.KidMismatchRecovered)
        {
            _recoveries.Add(1, new KeyValuePair<string, object?>("provider", providerId));
        }
    }

    public void ProviderChange(string providerId, string source, string outcome) =>
        _providerChanges.Add(1, new TagList { { "provider", providerId }, { "source", source }, { "outcome", outcome } });

    public void AuditWriteFailed(string category) =>
        _auditFailures.Add(1, new KeyValuePair<string, object?>("category", category));
}

/// <summary>
/// The <c>OidcRp</c> activity source: one activity per refresh (<see cref="RefreshKeys"/>), per ID token validation
/// (<see cref="ValidateIdToken"/>) and per kid-miss recovery, ID token or bearer (<see cref="RecoverKidMiss"/>).
/// </summary>
internal static class OidcRpActivity
{
    public const string RefreshKeys = "OidcRp.RefreshKeys";
    public const string ValidateIdToken = "OidcRp.ValidateIdToken";
    public const string RecoverKidMiss = "OidcRp.RecoverKidMiss";

    public static readonly ActivitySource Source = new(OidcRpDiagnostics.ActivitySourceName);
}
