using System.Globalization;
using Analysis.Timeline;
using static Analysis.Views.ViewColumn;

namespace Analysis.Views;

// The views of the timeline (issue 16): its events and the anchors that placed them.
public static partial class ViewCatalog
{
    private static IEnumerable<View> TimelineViews()
    {
        yield return new View(typeof(TimelineEvent), ViewKind.Table,
        [
            Computed<TimelineEvent>("Time", e => e.Time is { } t
                ? t.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"+{e.Offset.TotalSeconds:F3}s")) with { Width = 12, Alignment = Right },
            Of(nameof(TimelineEvent.Kind)) with { Width = 11 },
            Of(nameof(TimelineEvent.Category)) with { Width = 20 },
            Computed<TimelineEvent>("Duration", e => e.Duration is { } d ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalMilliseconds:N3} ms") : null) with { Width = 13, Alignment = Right },
            Computed<TimelineEvent>("Value", e => ValueText(e)) with { Width = 12, Alignment = Right },
            Of(nameof(TimelineEvent.Source)) with { Width = 16 },
            Of(nameof(TimelineEvent.Detail)),
            Of(nameof(TimelineEvent.Clock)) with { Wide = true },
        ]) { Wrap = false };
        yield return new View(typeof(TimelineAnchor), ViewKind.Table,
        [
            Of(nameof(TimelineAnchor.From)) with { Width = 34 },
            Of(nameof(TimelineAnchor.To)) with { Width = 34 },
            Computed<TimelineAnchor>("Shift", a => a.To == TimelineAnchor.Wall
                ? (DateTimeOffset.UnixEpoch + a.Shift).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{a.Shift.TotalSeconds:+0.000000;-0.000000} s")) with { Width = 27, Alignment = Right },
            Computed<TimelineAnchor>("±", a => string.Create(CultureInfo.InvariantCulture, $"{a.Uncertainty.TotalMilliseconds:N3} ms")) with { Width = 12, Alignment = Right },
            Of(nameof(TimelineAnchor.Quality)) with { Width = 7 },
            Of(nameof(TimelineAnchor.How)),
            Of(nameof(TimelineAnchor.Source)) with { Wide = true },
        ]) { Wrap = false };
    }

    /// <summary>"21.0 MB" for bytes, "187" for counts, "3 %" for percent.</summary>
    private static string? ValueText(TimelineEvent e) => e.Value is not { } v ? null : e.Unit switch
    {
        "bytes" => Bytes.Format((long)v),
        "%" => string.Create(CultureInfo.InvariantCulture, $"{v:0.#} %"),
        _ => v.ToString("N0", CultureInfo.InvariantCulture),
    };
}
