using System.Globalization;
using Analysis.Timelines;

namespace Analysis.Reporting;

/// <summary>
/// The timeline of one incident as a page (Export-Timeline) or a section of one (Export-IncidentReport): a summary of
/// how each clock was placed, the chart, the anchors, the warnings and the events.
/// </summary>
public static class TimelineReport
{
    /// <summary>Events listed in the page's table by default (the chart draws them all).</summary>
    public const int DefaultMaxEvents = 1000;

    /// <summary>The chart's title on a timeline page and in an incident report's Timeline section.</summary>
    public const string ChartTitle = "One timeline";

    /// <summary>
    /// One offline page: a summary (events, artifacts, which clocks were anchored and how, which stayed relative), the
    /// chart (<see cref="Charts.Timeline(IReadOnlyList{TimelineEvent}, string)"/>), the anchors, the warnings, and the
    /// first <paramref name="maxEvents"/> events as a table.
    /// </summary>
    public static HtmlReport Build(Analysis.Timelines.Timeline timeline, string title = "Timeline", int maxEvents = DefaultMaxEvents)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentOutOfRangeException.ThrowIfNegative(maxEvents);
        var report = new HtmlReport(title);
        report.Heading("Summary");
        foreach (string line in Summary(timeline))
            report.Paragraph(line);
        AddChartAndAnchors(report, timeline, 2);
        report.Heading("Warnings");
        if (timeline.Warnings.Count == 0)
            report.Paragraph("None: every artifact was read and every clock placed.");
        else
            report.Findings(timeline.Warnings.Select(w => ("medium", w)));
        report.Heading("Events");
        if (timeline.Events.Count > maxEvents)
            report.Paragraph(string.Create(CultureInfo.InvariantCulture, $"The first {maxEvents:N0} of {timeline.Events.Count:N0} events (Get-Timeline writes them all)."));
        report.Table(timeline.Events.Take(maxEvents));
        return report;
    }

    /// <summary>
    /// The summary in sentences: how many events from which artifacts, then one line per clock: placed on the wall
    /// clock (through which anchors, how exactly) or left on its own axis.
    /// </summary>
    public static IReadOnlyList<string> Summary(Analysis.Timelines.Timeline timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var lines = new List<string>();
        int anchored = timeline.Events.Count(e => e.Time is not null);
        int artifacts = timeline.Events.Select(e => e.Source).Distinct(StringComparer.Ordinal).Count();
        string span = "";
        if (anchored > 0)
        {
            var first = timeline.Events.Where(e => e.Time is not null).Min(e => e.Time!.Value);
            var last = timeline.Events.Where(e => e.Time is not null).Max(e => e.Time!.Value + (e.Duration ?? TimeSpan.Zero));
            span = string.Create(CultureInfo.InvariantCulture, $", from {first.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} to {last.UtcDateTime:HH:mm:ss.fff} UTC");
        }

        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"{timeline.Events.Count:N0} events from {artifacts} artifact{(artifacts == 1 ? "" : "s")}; {anchored:N0} on the wall clock{span}, {timeline.Events.Count - anchored:N0} on a relative axis."));
        foreach (var clock in timeline.Clocks.Where(c => c.Id != TimelineAnchor.Wall))
        {
            var events = timeline.Events.Where(e => e.Clock == clock.Id).ToList();
            if (events.Count == 0)
                continue;
            bool placed = events.Any(e => e.Time is not null);
            var used = timeline.Anchors.Where(a => a.From == clock.Id).ToList();
            // the first hop in full; the rest by name (each clock's own line says how it was placed)
            string how = used.Count == 0 ? "" : ": " + string.Join("; then ", Chain(timeline, clock.Id).Select((a, i) => i == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{a.Quality.ToString().ToLowerInvariant()} to {(a.To == TimelineAnchor.Wall ? "the wall clock" : a.To)} ± {a.Uncertainty.TotalMilliseconds:0.###} ms ({a.How})")
                : string.Create(CultureInfo.InvariantCulture, $"as {a.From} to {(a.To == TimelineAnchor.Wall ? "the wall clock" : a.To)} ± {a.Uncertainty.TotalMilliseconds:0.###} ms")));
            lines.Add(placed
                ? $"{clock.Id} ({clock.Description}): anchored{how}."
                : $"{clock.Id} ({clock.Description}): stays relative, {events.Count:N0} events not on the wall clock{how}.");
        }

        return lines;
    }

    /// <summary>The anchors from <paramref name="clock"/> towards the wall clock, as the timeline used them (first hop first).</summary>
    private static IEnumerable<TimelineAnchor> Chain(Analysis.Timelines.Timeline timeline, string clock)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string at = clock;
        while (at != TimelineAnchor.Wall && seen.Add(at) && timeline.Anchors.FirstOrDefault(a => a.From == at) is { } next)
        {
            yield return next;
            at = next.To;
        }
    }

    /// <summary>The chart titled <see cref="ChartTitle"/> and the anchors' table, under headings of <paramref name="level"/>.</summary>
    public static HtmlReport AddChartAndAnchors(HtmlReport report, Analysis.Timelines.Timeline timeline, int level)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(timeline);
        report.Chart(Charts.Timeline(timeline.Events, ChartTitle));
        report.Heading("Anchors", level);
        if (timeline.Anchors.Count == 0)
            report.Paragraph("No anchors: no clock could be related to another or to the wall clock (give -StartTime for a process's start).");
        else
            report.Table(timeline.Anchors);
        return report;
    }
}
