using OidcRp.Audit;

namespace OidcRp.Samples.MvcApp.Operator;

/// <summary>The operator's view: every provider over one time window, drawn from the audit store and the provider status.</summary>
public sealed record OperatorPage(
    DateTimeOffset From, DateTimeOffset To, string Window, IReadOnlyList<ProviderView> Providers, bool HasAuditReader, bool Truncated);

/// <summary>One provider's part of the view.</summary>
public sealed record ProviderView(
    OidcProviderStatus Status,
    HealthView Health,
    IReadOnlyList<FetchMark> Fetches,
    IReadOnlyList<KidSpan> Kids,
    IReadOnlyList<OutcomeBucket> Buckets,
    IReadOnlyDictionary<string, int> Totals,
    BudgetView Budget)
{
    public int Rotations => Fetches.Count(f => f.Rotation);

    public int Recovered => Totals.GetValueOrDefault(OidcAuditCategories.KidMismatchRecovered);

    public int ForgeryShaped => OutcomeCategories.ForgeryShaped.Sum(c => Totals.GetValueOrDefault(c));
}

/// <summary>
/// One <c>keys_fetched</c> row: when, which trigger (the row's reason), whether it succeeded, and whether it was a
/// rotation (a fetch whose kid set differs from the one before it; a first load is not a rotation).
/// </summary>
public sealed record FetchMark(DateTimeOffset Time, string Trigger, bool Succeeded, bool Rotation, IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed);

/// <summary>A kid's life inside the window: published from <see cref="From"/> until <see cref="To"/> (null: still published).</summary>
public sealed record KidSpan(string Kid, DateTimeOffset From, DateTimeOffset? To);

/// <summary>Outcome counts (events, aggregated rows counted by their <c>Count</c>) of one time bucket.</summary>
public sealed record OutcomeBucket(DateTimeOffset Start, DateTimeOffset End, IReadOnlyDictionary<string, int> Counts);

/// <summary>
/// The kid-miss budget: what each path has spent in the window ending now (provider status), the budgets
/// (configuration), and over the view's window the kid-miss fetches (keys_fetched rows) and the tokens refused because
/// the budget was spent (<c>kid_miss_budget_spent</c> rows).
/// </summary>
public sealed record BudgetView(int LoginSpent, int LoginBudget, int BearerSpent, int BearerBudget, TimeSpan Window,
    int LoginFetches, int BearerFetches, int Refused);

/// <summary>The provider's health: <c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>, and why.</summary>
public sealed record HealthView(string Status, string Description);

/// <summary>The outcome categories the view draws, in stacking order, and which of them are forgery-shaped.</summary>
public static class OutcomeCategories
{
    /// <summary>Tokens that name a kid the provider never published, or that it never signed.</summary>
    public static readonly IReadOnlyList<string> ForgeryShaped =
    [
        OidcAuditCategories.KidMismatchUnrecovered, OidcAuditCategories.KidMismatchThrottled, OidcAuditCategories.IdTokenInvalid,
        OidcAuditCategories.AccessTokenInvalid,
    ];

    /// <summary>Every category drawn, bottom to top.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        OidcAuditCategories.LoginSucceeded, OidcAuditCategories.KidMismatchRecovered, .. ForgeryShaped,
        OidcAuditCategories.CallbackRejected, OidcAuditCategories.JwksUnreachable, OidcAuditCategories.LoginStartFailed,
    ];

    /// <summary>The fill of a category's bars: quiet for ordinary logins, blue for recoveries, reds for forgery-shaped failures.</summary>
    public static string Color(string category) => category switch
    {
        OidcAuditCategories.LoginSucceeded => "#a8b3c7",
        OidcAuditCategories.KidMismatchRecovered => "#2563eb",
        OidcAuditCategories.KidMismatchUnrecovered => "#dc2626",
        OidcAuditCategories.KidMismatchThrottled => "#f97316",
        OidcAuditCategories.IdTokenInvalid => "#9f1239",
        OidcAuditCategories.AccessTokenInvalid => "#e11d48",
        _ => "#d6d3d1",
    };

    /// <summary>The colour of a fetch marker, by trigger.</summary>
    public static string TriggerColor(string trigger) => trigger switch
    {
        OidcRpReasons.FetchInitial => "#64748b",
        OidcRpReasons.FetchScheduled => "#0ea5e9",
        OidcRpReasons.FetchKidMissLogin => "#7c3aed",
        OidcRpReasons.FetchKidMissBearer => "#db2777",
        OidcRpReasons.FetchAdmin => "#d97706",
        OidcRpReasons.FetchFarmPeer => "#0d9488",
        _ => "#334155",
    };

    /// <summary>A short label of a trigger for the legend.</summary>
    public static string TriggerLabel(string trigger) => trigger switch
    {
        OidcRpReasons.FetchInitial => "first load",
        OidcRpReasons.FetchScheduled => "scheduled",
        OidcRpReasons.FetchKidMissLogin => "kid miss (login)",
        OidcRpReasons.FetchKidMissBearer => "kid miss (bearer)",
        OidcRpReasons.FetchAdmin => "admin refresh",
        OidcRpReasons.FetchFarmPeer => "farm peer",
        _ => trigger,
    };

    /// <summary>Every trigger, in legend order.</summary>
    public static readonly IReadOnlyList<string> Triggers =
    [
        OidcRpReasons.FetchInitial, OidcRpReasons.FetchScheduled, OidcRpReasons.FetchKidMissLogin, OidcRpReasons.FetchKidMissBearer,
        OidcRpReasons.FetchAdmin, OidcRpReasons.FetchFarmPeer,
    ];
}
