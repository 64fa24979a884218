namespace OidcRp.Audit;

/// <summary>
/// How OidcRp keeps floods out of the audit trail without losing count of them. Denied admin calls and
/// forgery-shaped callback failures (see docs/audit.md, "Audit under floods") from one source are written as
/// one row per window with a <see cref="OidcAuditRecord.Count"/>; every other row is written on its own.
/// </summary>
public sealed class OidcAuditOptions
{
    /// <summary>
    /// The aggregation window (default 60 s; <see cref="TimeSpan.Zero"/> turns aggregation off, between 1 s and
    /// 1 h otherwise). The first event of a key in a window is written at once with count 1; the events after it
    /// in the same window become one row with their count, written when the window closes or at host stop.
    /// </summary>
    public TimeSpan AggregationWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most windows open at once (default 4,096), which bounds the memory aggregation takes. When a new
    /// key finds them all open, the oldest window is closed early (its row written with its count so far).
    /// </summary>
    public int MaxOpenAggregates { get; set; } = 4096;
}
