using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace OidcRp.Samples.MvcApp.Operator;

/// <summary>
/// Inline SVG drawn on the server: no script, no font and no file from outside the app. Every element a test or a
/// reader may look for carries a stable hook: <c>data-fetch</c> and <c>data-rotation</c> markers with
/// <c>data-time</c> (ISO 8601, UTC) and <c>data-trigger</c>, <c>data-kid</c> lanes, and bars with
/// <c>data-category</c> and <c>data-count</c>. Every text taken from a row is HTML-encoded.
/// </summary>
public static class OperatorSvg
{
    private const int Width = 960;
    private const int Left = 150;
    private const int Right = 16;
    private const int Lane = 22;

    /// <summary>The key-set timeline: one lane per kid (published from–to), fetch markers by trigger, rotations as a bold rule.</summary>
    public static IHtmlContent Timeline(ProviderView view, DateTimeOffset from, DateTimeOffset to)
    {
        var lanes = view.Kids.Select(k => k.Kid).Distinct(StringComparer.Ordinal).ToList();
        var top = 34;
        var height = top + (Math.Max(lanes.Count, 1) * Lane) + 28;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"timeline\" viewBox=\"0 0 {Width} {height}\" width=\"100%\" role=\"img\" aria-label=\"Key sets of {E(view.Status.Id)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{top - 6}\" width=\"{Width - Left - Right}\" height=\"{height - top - 16}\" fill=\"#f8fafc\" stroke=\"#e2e8f0\"/>");
        Axis(svg, from, to, height - 14, top - 6, height - 22);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{top - 16}\" text-anchor=\"end\" class=\"lbl\">fetches</text>");
        for (var i = 0; i < lanes.Count; i++)
        {
            var y = top + (i * Lane);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{y + 12}\" text-anchor=\"end\" class=\"kid\">{E(Short(lanes[i]))}<title>{E(lanes[i])}</title></text>");
            foreach (var span in view.Kids.Where(k => k.Kid == lanes[i]))
            {
                var x1 = X(span.From, from, to);
                var x2 = X(span.To ?? to, from, to);
                svg.Append(CultureInfo.InvariantCulture, $"<rect data-kid=\"{E(span.Kid)}\" data-from=\"{T(span.From)}\"{(span.To is { } end ? $" data-to=\"{T(end)}\"" : "")} x=\"{x1:0.#}\" y=\"{y + 2}\" width=\"{Math.Max(x2 - x1, 2):0.#}\" height=\"{Lane - 8}\" rx=\"3\" fill=\"{(span.To is null ? "#86efac" : "#cbd5e1")}\" stroke=\"{(span.To is null ? "#16a34a" : "#94a3b8")}\"><title>{E(span.Kid)}: {T(span.From)} – {(span.To is { } t ? T(t) : "now")}</title></rect>");
            }
        }
        foreach (var fetch in view.Fetches)
        {
            var x = X(fetch.Time, from, to);
            if (fetch.Rotation)
            {
                var what = string.Join(", ", fetch.Added.Select(k => "+" + k).Concat(fetch.Removed.Select(k => "−" + k)));
                svg.Append(CultureInfo.InvariantCulture, $"<g class=\"rotation\" data-rotation=\"\" data-time=\"{T(fetch.Time)}\" data-provider=\"{E(view.Status.Id)}\" data-trigger=\"{E(fetch.Trigger)}\" data-added=\"{E(string.Join(' ', fetch.Added))}\" data-removed=\"{E(string.Join(' ', fetch.Removed))}\">");
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" x2=\"{x:0.#}\" y1=\"{top - 24}\" y2=\"{height - 22}\" stroke=\"#15803d\" stroke-width=\"3\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M{x:0.#} {top - 30} l7 7 l-7 7 l-7 -7 z\" fill=\"#15803d\"/>");
                var flip = x > Width - Right - 70; // near the right edge the label goes left of the rule
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(flip ? x - 10 : x + 10):0.#}\" y=\"{top - 19}\" text-anchor=\"{(flip ? "end" : "start")}\" class=\"rot\">rotation</text>");
                svg.Append(CultureInfo.InvariantCulture, $"<title>Rotation at {T(fetch.Time)} ({E(OutcomeCategories.TriggerLabel(fetch.Trigger))}): {E(what)}</title></g>");
            }
            var color = OutcomeCategories.TriggerColor(fetch.Trigger);
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"fetch\" data-fetch=\"\" data-time=\"{T(fetch.Time)}\" data-trigger=\"{E(fetch.Trigger)}\" data-outcome=\"{(fetch.Succeeded ? "success" : "failure")}\">");
            svg.Append(fetch.Succeeded
                ? string.Create(CultureInfo.InvariantCulture, $"<circle cx=\"{x:0.#}\" cy=\"{top - 16}\" r=\"5\" fill=\"{color}\" stroke=\"#fff\" stroke-width=\"1.5\"/>")
                : string.Create(CultureInfo.InvariantCulture, $"<path d=\"M{x - 5:0.#} {top - 21} l10 10 m0 -10 l-10 10\" stroke=\"#dc2626\" stroke-width=\"3\"/>"));
            svg.Append(CultureInfo.InvariantCulture, $"<title>{T(fetch.Time)}: {E(OutcomeCategories.TriggerLabel(fetch.Trigger))}, {(fetch.Succeeded ? "fetched" : "failed (last good keys kept)")}</title></g>");
        }
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    /// <summary>Outcomes per time bucket, stacked by category (events: an aggregated row counts as its <c>Count</c>).</summary>
    public static IHtmlContent Outcomes(ProviderView view, DateTimeOffset from, DateTimeOffset to)
    {
        const int top = 12;
        const int plot = 150;
        var height = top + plot + 26;
        var max = Math.Max(1, view.Buckets.Max(b => b.Counts.Values.Sum()));
        var scale = (double)plot / max;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"outcomes\" viewBox=\"0 0 {Width} {height}\" width=\"100%\" role=\"img\" aria-label=\"Login outcomes of {E(view.Status.Id)}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{Width - Left - Right}\" height=\"{plot}\" fill=\"#f8fafc\" stroke=\"#e2e8f0\"/>");
        foreach (var tick in new[] { max, max / 2 }.Distinct().Where(t => t > 0))
        {
            var y = top + plot - (tick * scale);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#e2e8f0\"/><text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" class=\"lbl\">{tick}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{top + plot + 4}\" text-anchor=\"end\" class=\"lbl\">0</text>");
        Axis(svg, from, to, height - 6, top, top + plot);
        foreach (var bucket in view.Buckets)
        {
            var x1 = X(bucket.Start, from, to) + 1;
            var w = Math.Max(X(bucket.End, from, to) - x1 - 1, 1);
            double y = top + plot;
            foreach (var category in OutcomeCategories.All)
            {
                if (bucket.Counts.GetValueOrDefault(category) is not (> 0 and var count))
                {
                    continue;
                }
                var h = count * scale;
                y -= h;
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" data-category=\"{category}\" data-count=\"{count}\" data-bucket=\"{T(bucket.Start)}\" x=\"{x1:0.#}\" y=\"{y:0.#}\" width=\"{w:0.#}\" height=\"{h:0.#}\" fill=\"{OutcomeCategories.Color(category)}\"><title>{T(bucket.Start)}: {count} × {category}</title></rect>");
            }
        }
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    private static void Axis(StringBuilder svg, DateTimeOffset from, DateTimeOffset to, int labelY, int y1, int y2)
    {
        var span = to - from;
        var format = span <= TimeSpan.FromHours(1) ? "HH:mm:ss" : span <= TimeSpan.FromDays(1) ? "HH:mm" : "MM-dd HH:mm";
        for (var i = 0; i <= 5; i++)
        {
            var at = from + (span * i / 5);
            var x = X(at, from, to);
            var anchor = i == 0 ? "start" : "middle";
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" x2=\"{x:0.#}\" y1=\"{y1}\" y2=\"{y2}\" stroke=\"#e2e8f0\" stroke-dasharray=\"2 3\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{labelY}\" text-anchor=\"{anchor}\" class=\"lbl\">{at.UtcDateTime.ToString(format, CultureInfo.InvariantCulture)}</text>");
        }
    }

    // "Now" sits a little inside the right edge, so the latest events (the ones an operator opens the page for) are not a sliver.
    private static double X(DateTimeOffset at, DateTimeOffset from, DateTimeOffset to) =>
        Left + ((Width - Left - Right) * Math.Clamp((at - from) / ((to - from) * 1.04), 0, 1));

    /// <summary>ISO 8601 UTC with milliseconds: the <c>data-time</c> format.</summary>
    public static string T(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Short(string kid) => kid.Length <= 18 ? kid : kid[..8] + "…" + kid[^8..];

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
