using System.Globalization;
using Analysis.Timelines;
using static Analysis.Views.ViewColumn;

namespace Analysis.Views;

// The views of the timeline (issue 16): its events (a table that fits 80 columns) and the anchors that placed them (a list: their How is a sentence).
public static partial class ViewCatalog
{
    private static IEnumerable<View> TimelineViews()
    {
        yield return new View(typeof(TimelineEvent), ViewKind.Table,
        [
            Computed<TimelineEvent>("Time", e => e.Time is { } t
                ? t.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"+{e.Offset.TotalSeconds:F3}s")) with { Width = 12, Alignment = Right },
            Of(nameof(TimelineEvent.Kind)) with { Width = 13 },
            Of(nameof(TimelineEvent.Category)) with { Width = 12 },
            Computed<TimelineEvent>("Duration", e => DurationText(e.Duration)) with { Width = 10, Alignment = Right },
            Computed<TimelineEvent>("Value", ValueText) with { Width = 9, Alignment = Right },
            Of(nameof(TimelineEvent.Source)) with { Width = 12 },
            Of(nameof(TimelineEvent.Detail)),
            Of(nameof(TimelineEvent.Clock)) with { Wide = true },
        ]) { Wrap = false };
        yield return new View(typeof(TimelineAnchor), ViewKind.List,
        [
            Of(nameof(TimelineAnchor.From)),
            Of(nameof(TimelineAnchor.To)),
            Computed<TimelineAnchor>("Shift", a => a.To == TimelineAnchor.Wall
                ? (DateTimeOffset.UnixEpoch + a.Shift).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff 'UTC (zero of From)'", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{a.Shift.TotalSeconds:+0.000000;-0.000000} s")),
            Computed<TimelineAnchor>("Uncertainty", a => string.Create(CultureInfo.InvariantCulture, $"± {a.Uncertainty.TotalMilliseconds:N3} ms")),
            Of(nameof(TimelineAnchor.Quality)),
            Of(nameof(TimelineAnchor.Source)),
            Of(nameof(TimelineAnchor.How)),
        ]);
    }

    /// <summary>"0.664 ms", "302.034 ms", "2.113 s".</summary>
    private static string? DurationText(TimeSpan? duration) => duration is not { } d ? null
        : d.TotalSeconds < 1 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalMilliseconds:0.000} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.000} s");

    /// <summary>"21.0 MB" for bytes, "187" for counts, "3 %" for percent.</summary>
    private static string? ValueText(TimelineEvent e) => e.Value is not { } v ? null : e.Unit switch
    {
        "bytes" => Bytes.Format((long)v),
        "%" => string.Create(CultureInfo.InvariantCulture, $"{v:0.#} %"),
        _ => v.ToString("N0", CultureInfo.InvariantCulture),
    };
}
