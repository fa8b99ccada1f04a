namespace Analysis.Reporting;

// The incident report's Timeline section (issue 16): the artifacts' events on one axis, when they share one.
public static partial class IncidentReport
{
    /// <summary>
    /// A Timeline section (the summary of how the clocks were placed, the chart, the anchors) when events of two or more
    /// artifacts are on one axis (the wall clock); otherwise the chart would repeat an artifact's own section.
    /// </summary>
    private static void TimelineSection(Analysis.Timelines.Timeline timeline, HtmlReport report, List<Action> sections)
    {
        if (!SharesAnAxis(timeline))
            return;
        sections.Add(() =>
        {
            report.Heading("Timeline");
            foreach (string line in TimelineReport.Summary(timeline))
                report.Paragraph(line);
            TimelineReport.AddChartAndAnchors(report, timeline, 3);
            if (timeline.Warnings.Count > 0)
                report.Heading("Timeline warnings", 3).Findings(timeline.Warnings.Select(w => ("info", w)));
        });
    }

    /// <summary>Events of two or more artifacts on the wall clock.</summary>
    internal static bool SharesAnAxis(Analysis.Timelines.Timeline timeline) =>
        timeline.Events.Where(e => e.Time is not null).Select(e => e.Source).Distinct(StringComparer.Ordinal).Skip(1).Any();
}
