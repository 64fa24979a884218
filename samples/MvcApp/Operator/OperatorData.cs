using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OidcRp.Audit;

namespace OidcRp.Samples.MvcApp.Operator;

/// <summary>
/// Reads what the operator's view shows: the audit rows of the window (the store's query API, newest first, paged by
/// keyset), the provider status (budget spent now, kids, last error) and, when the app registered OidcRp's health
/// checks, their verdict. The meter keeps no history; the audit rows carry their time, so every chart is drawn from them.
/// </summary>
public static class OperatorData
{
    /// <summary>The windows the page offers; the key is the query value.</summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> Windows = new Dictionary<string, TimeSpan>(StringComparer.Ordinal)
    {
        // "auto": the last 24 hours, zoomed to the rows it holds (at least a minute), so recent events are not a sliver.
        ["auto"] = TimeSpan.FromHours(24),
        ["5m"] = TimeSpan.FromMinutes(5),
        ["15m"] = TimeSpan.FromMinutes(15),
        ["1h"] = TimeSpan.FromHours(1),
        ["6h"] = TimeSpan.FromHours(6),
        ["24h"] = TimeSpan.FromHours(24),
        ["7d"] = TimeSpan.FromDays(7),
    };

    /// <summary>At most this many rows per provider are read (20 pages); the page says when the window held more.</summary>
    public const int MaxRows = 20 * OidcAuditQuery.MaxLimit;

    private const int BucketCount = 30;

    public static async Task<OperatorPage> BuildAsync(IOidcAuditSink sink, IOidcProviders providers, OidcRpOptions options,
        HealthCheckService? health, TimeProvider time, string? window, CancellationToken cancellationToken)
    {
        var key = window is not null && Windows.ContainsKey(window) ? window : "auto";
        var to = time.GetUtcNow();
        var from = to - Windows[key];
        var reader = sink as IOidcAuditReader;
        var statuses = (await providers.ListAsync(null, OidcProviderPage.MaxLimit, cancellationToken)).Providers;
        var report = health is null ? null : await health.CheckHealthAsync(r => r.Tags.Contains("oidcrp"), cancellationToken);
        var read = new List<(OidcProviderStatus Status, List<OidcAuditRecord> Rows)>();
        foreach (var status in statuses)
        {
            read.Add((status, reader is null ? [] : await ReadAsync(reader, status.Id, from, cancellationToken)));
        }
        if (key == "auto" && read.SelectMany(r => r.Rows).Select(r => (DateTimeOffset?)r.Timestamp).Min() is { } first)
        {
            var span = TimeSpan.FromTicks(Math.Max((to - first).Ticks, TimeSpan.FromMinutes(1).Ticks));
            from = to - (span * 1.08); // a margin before the first row
        }
        var views = read.Select(r => Build(r.Status, r.Rows, options.Keys, from, to, Health(r.Status, report, options.Keys, to))).ToList();
        return new OperatorPage(from, to, key, views, reader is not null, read.Any(r => r.Rows.Count >= MaxRows));
    }

    private static async Task<List<OidcAuditRecord>> ReadAsync(IOidcAuditReader reader, string providerId, DateTimeOffset from,
        CancellationToken cancellationToken)
    {
        var rows = new List<OidcAuditRecord>();
        Guid? before = null;
        while (rows.Count < MaxRows)
        {
            var page = await reader.QueryAsync(new OidcAuditQuery
            {
                ProviderId = providerId,
                From = from,
                Before = before,
                Limit = OidcAuditQuery.MaxLimit,
            }, cancellationToken);
            rows.AddRange(page);
            if (page.Count < OidcAuditQuery.MaxLimit)
            {
                break;
            }
            before = page[^1].Id;
        }
        rows.Reverse(); // oldest first
        return rows;
    }

    private static ProviderView Build(OidcProviderStatus status, List<OidcAuditRecord> rows, OidcKeyPolicyOptions keys,
        DateTimeOffset from, DateTimeOffset to, HealthView health)
    {
        var fetchRows = rows.Where(r => r.Category == OidcAuditCategories.KeysFetched).ToList();
        var fetches = fetchRows.Select(Mark).ToList();
        var spans = Spans(fetchRows, status, from);

        var width = (to - from) / BucketCount;
        var buckets = Enumerable.Range(0, BucketCount).Select(i => (Start: from + (width * i), Counts: new Dictionary<string, int>(StringComparer.Ordinal))).ToList();
        var totals = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows.Where(r => OutcomeCategories.All.Contains(r.Category)))
        {
            var index = Math.Clamp((int)((row.Timestamp - from) / width), 0, BucketCount - 1);
            buckets[index].Counts[row.Category] = buckets[index].Counts.GetValueOrDefault(row.Category) + row.Count;
            totals[row.Category] = totals.GetValueOrDefault(row.Category) + row.Count;
        }
        var budget = new BudgetView(status.KidMissBudgetSpent, keys.KidMissBudget, status.BearerKidMissBudgetSpent, keys.BearerKidMissBudget,
            keys.KidMissWindow,
            fetches.Count(f => f.Trigger == OidcRpReasons.FetchKidMissLogin),
            fetches.Count(f => f.Trigger == OidcRpReasons.FetchKidMissBearer),
            rows.Where(r => r.Reason == OidcRpReasons.KidMissBudgetSpent).Sum(r => r.Count));
        return new ProviderView(status, health, fetches,
            spans, buckets.Select(b => new OutcomeBucket(b.Start, b.Start + width, b.Counts)).ToList(), totals, budget);
    }

    private static FetchMark Mark(OidcAuditRecord row)
    {
        var before = row.KidsBefore ?? [];
        var after = row.KidsAfter ?? [];
        var succeeded = row.Outcome == OidcAuditOutcomes.Success;
        var added = after.Except(before, StringComparer.Ordinal).ToList();
        var removed = before.Except(after, StringComparer.Ordinal).ToList();
        return new FetchMark(row.Timestamp, row.Reason ?? "", succeeded,
            Rotation: succeeded && before.Count > 0 && (added.Count > 0 || removed.Count > 0), added, removed);
    }

    /// <summary>Each kid's life in the window, from the kid sets before and after every fetch; no rows: the kids in place now.</summary>
    private static List<KidSpan> Spans(List<OidcAuditRecord> fetchRows, OidcProviderStatus status, DateTimeOffset from)
    {
        var open = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var spans = new List<KidSpan>();
        var first = fetchRows.FirstOrDefault();
        foreach (var kid in first is null ? status.Kids.Concat(status.RevokedKids) : first.KidsBefore ?? [])
        {
            open[kid] = from;
        }
        foreach (var row in fetchRows.Where(r => r.Outcome == OidcAuditOutcomes.Success))
        {
            var after = (row.KidsAfter ?? []).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in open.Keys.Where(k => !after.Contains(k)).ToList())
            {
                spans.Add(new KidSpan(gone, open[gone], row.Timestamp));
                open.Remove(gone);
            }
            foreach (var kid in after.Where(k => !open.ContainsKey(k)))
            {
                open[kid] = row.Timestamp;
            }
        }
        spans.AddRange(open.Select(o => new KidSpan(o.Key, o.Value, null)));
        return spans.OrderBy(s => s.From).ThenBy(s => s.Kid, StringComparer.Ordinal).ToList();
    }

    /// <summary>The health check's verdict when registered (<c>AddOidcRpProviders</c>), else the same rule applied to the status.</summary>
    private static HealthView Health(OidcProviderStatus status, HealthReport? report, OidcKeyPolicyOptions keys, DateTimeOffset now)
    {
        if (report is not null && report.Entries.TryGetValue(OidcRpOptions.SchemeName(status.Id), out var entry))
        {
            return new HealthView(entry.Status.ToString().ToLowerInvariant(), entry.Description ?? "");
        }
        if (!status.Loaded)
        {
            return new HealthView("unhealthy", "never loaded its keys" + (status.LastErrorCode is { } e ? $" (last error {e})" : ""));
        }
        var age = now - (status.KeysFetchedAt ?? now);
        return status.LastErrorCode is not null || age > keys.RefreshInterval * 2
            ? new HealthView("degraded", $"keys are stale: age {age:hh\\:mm\\:ss}, last error {status.LastErrorCode ?? "none"}")
            : new HealthView("healthy", $"{status.Kids.Count} signing key(s), fetched {age:hh\\:mm\\:ss} ago");
    }
}
