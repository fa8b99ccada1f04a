using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Analysis.Go;
using Analysis.Reporting;
using Analysis.Testing;
using Analysis.Tests.Go;
using Analysis.Timelines;
using Analysis.Views;
using Plotly.NET;
using Xunit;

namespace Analysis.Tests.Reporting;

/// <summary>
/// The timeline page (Export-Timeline) and the incident report's Timeline section, on the committed Go fixtures
/// (tests/testdata/go: one run of the leaky program; its MANIFEST gives the counts): the chart's data, the page's
/// parts, and the page drawn in headless Chromium with the network off.
/// </summary>
public class TimelineReportTests
{
    private static readonly string[] s_files = ["gctrace.log", "trace.out", "heap-1.pb.gz", "heap-2.pb.gz", "cpu.pb.gz"];

    private static Analysis.Timelines.Timeline GoTimeline() =>
        TimelineBuilder.Build(s_files.Select(f => TimelineSources.FromFile(GoFixtures.PathOf(f))).ToList());

    private static DateTime Date(JsonElement x) => DateTime.ParseExact(x.GetString()!, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    /// <summary>The band's (start, end) pairs: a band trace's x holds start, end, null for each interval.</summary>
    private static List<(DateTime Start, DateTime End)> Bands(JsonElement trace)
    {
        var x = trace.GetProperty("x").EnumerateArray().ToArray();
        Assert.Equal(0, x.Length % 3);
        return Enumerable.Range(0, x.Length / 3).Select(i => (Date(x[3 * i]), Date(x[(3 * i) + 1]))).ToList();
    }

    [Fact]
    public void TimelineChart_OnTheGoFixtures_HasOneBandPerAnchoredGc_OnTheWallClock()
    {
        var timeline = GoTimeline();
        var figure = JsonDocument.Parse(GenericChart.toFigureJson(Charts.Timeline(timeline.Events, TimelineReport.ChartTitle))).RootElement;
        var traces = figure.GetProperty("data").EnumerateArray().ToArray();
        JsonElement Named(string name) => traces.Single(t => t.GetProperty("name").GetString() == name);
        Assert.Equal("date", figure.GetProperty("layout").GetProperty("xaxis").GetProperty("type").GetString());

        // every gctrace cycle is anchored (the heap profiles place the log): one band each, forced apart, as the MANIFEST counts them
        int cycles = GoFixtures.ManifestInt("gctrace.cycles"), forced = GoFixtures.ManifestInt("gctrace.forced");
        var forcedBands = Bands(Named("GC (forced) · gctrace.log"));
        var automaticBands = Bands(Named("GC (automatic) · gctrace.log"));
        Assert.Equal(forced, forcedBands.Count);
        Assert.Equal(cycles - forced, automaticBands.Count);
        Assert.Equal("#d62728", Named("GC (forced) · gctrace.log").GetProperty("line").GetProperty("color").GetString());
        // the trace's GCs (the gap matching places the trace), inside the trace's window
        var traceBands = Bands(Named("GC · trace.out"));
        Assert.Equal(GoFixtures.ManifestInt("trace.gcs"), traceBands.Count);
        var window = Assert.Single(Bands(Named("Trace · trace.out")));
        Assert.All(traceBands, b => Assert.InRange(b.Start, window.Start, window.End));

        // x is the wall clock: the heap profiles' markers are at their time_nanos (read here from the profiles), each
        // just after a forced GC's band ended; the CPU profile's band is its time_nanos plus duration_nanos
        var heap1 = PprofProfile.Load(GoFixtures.PathOf("heap-1.pb.gz"));
        var heap2 = PprofProfile.Load(GoFixtures.PathOf("heap-2.pb.gz"));
        var cpu = PprofProfile.Load(GoFixtures.PathOf("cpu.pb.gz"));
        DateTime Unix(long ns) => DateTime.UnixEpoch.AddTicks(ns / 1000 * 10); // the chart's x has microseconds
        var markers = traces.Where(t => t.GetProperty("name").GetString()!.StartsWith("Profile (", StringComparison.Ordinal)).ToArray();
        var heapMarker = markers.Single(t => t.GetProperty("name").GetString()!.EndsWith("· heap-1.pb.gz", StringComparison.Ordinal));
        Assert.Equal(Unix(heap1.TimeNanos), Date(heapMarker.GetProperty("x")[0]));
        var cpuBand = Assert.Single(Bands(traces.Single(t => t.GetProperty("name").GetString()!.StartsWith("CPU profile (", StringComparison.Ordinal))));
        Assert.Equal((Unix(cpu.TimeNanos), Unix(cpu.TimeNanos + cpu.DurationNanos)), cpuBand);
        foreach (var heap in new[] { heap1, heap2 })
        {
            var at = Unix(heap.TimeNanos);
            var before = forcedBands.Where(b => b.End <= at.AddMilliseconds(1)).ToList();
            Assert.NotEmpty(before);
            Assert.InRange((at - before.Max(b => b.End)).TotalMilliseconds, -1, 50);
        }

        // the CPU profile's window ends before the trace starts
        Assert.True(cpuBand.End <= window.Start, $"CPU profile ends {cpuBand.End:O}, trace starts {window.Start:O}");
    }

    [Fact]
    public void TimelinePage_HasTheSummary_TheChart_TheAnchors_TheWarnings_AndTheEventsCapped()
    {
        var withDump = TimelineBuilder.Build([.. s_files.Select(f => TimelineSources.FromFile(GoFixtures.PathOf(f))), TimelineSources.FromFile(GoFixtures.PathOf("goroutines-debug2.txt"))]);
        string html = TimelineReport.Build(withDump, "Go <timeline>", maxEvents: 10).Render();
        Assert.Single(Regex.Matches(html, "Copyright 2012-20\\d\\d, Plotly, Inc"));
        Assert.DoesNotContain("<script src=\"http", html);
        Assert.Contains("<title>Go &lt;timeline&gt;</title>", html);
        // summary: events, artifacts, every clock anchored with how, but the goroutine dump's (written after the trace, its
        // goroutine ids do not bound when: its marker stays relative, and its warning says why)
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<p>{withDump.Events.Count:N0} events from {s_files.Length + 1} artifacts; {withDump.Events.Count - 1:N0} on the wall clock"), html);
        Assert.Contains("<p>goroutines-debug2.txt: when it was taken (the moment the goroutine dump was taken (it records no time)): stays relative, 1 events not on the wall clock.</p>", html);
        Assert.Contains("gctrace.log: since runtime start (", html);
        Assert.Matches("<p>trace.out: since trace start \\(.*\\): anchored: derived to gctrace.log: since runtime start ± [0-9.]+ ms \\(GC-gap pattern[^<]*then as gctrace.log: since runtime start to the wall clock ± [0-9.]+ ms\\.</p>", html);
        Assert.Matches("<p>gctrace.log: since runtime start \\(.*\\): anchored: derived to the wall clock ± [0-9.]+ ms \\(heap profiles", html);
        Assert.Single(Regex.Matches(html, "stays relative"));
        Assert.Contains(Html.Escape(Assert.Single(withDump.Warnings, w => w.StartsWith("goroutines-debug2.txt", StringComparison.Ordinal))), html);
        // the anchors in their view, the events capped at 10 with a note
        foreach (var a in withDump.Anchors)
            Assert.Contains(Html.Escape(a.How), html);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"The first 10 of {withDump.Events.Count:N0} events"), html);
        Assert.Equal(10, Regex.Count(html[html.IndexOf("<h2>Events</h2>", StringComparison.Ordinal)..], "<tr>") - 1);
        Assert.Contains(TimelineReport.ChartTitle, html);
    }

    [Fact]
    public void TimelineSummary_OfALoneGcTrace_SaysItStaysRelative()
    {
        var timeline = TimelineBuilder.Build([TimelineSources.FromFile(GoFixtures.PathOf("gctrace.log"))]);
        var summary = TimelineReport.Summary(timeline);
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"{timeline.Events.Count:N0} events from 1 artifact; 0 on the wall clock, {timeline.Events.Count:N0} on a relative axis."), summary[0]);
        Assert.Contains(summary, l => l.StartsWith("gctrace.log: since runtime start (", StringComparison.Ordinal) && l.Contains("stays relative", StringComparison.Ordinal));
    }

    [Fact]
    public void IncidentReport_WithGcTraceTraceAndHeapProfiles_HasTheTimelineSection_WithTheAnchoredEvents()
    {
        var timeline = GoTimeline();
        var inputs = new IncidentInputs
        {
            HeapProfile = PprofProfile.Load(GoFixtures.PathOf("heap-2.pb.gz")),
            BaselineHeapProfile = PprofProfile.Load(GoFixtures.PathOf("heap-1.pb.gz")),
            GoGcTrace = GcTrace.Load(GoFixtures.PathOf("gctrace.log")),
            GoTrace = GoExecutionTrace.Load(GoFixtures.PathOf("trace.out")),
            Timeline = timeline,
        };
        var without = IncidentReport.Build(inputs with { Timeline = null });
        var report = IncidentReport.Build(inputs);
        Assert.Equal(without.ChartCount + 1, report.ChartCount);
        string html = report.Render();
        Assert.Contains("<h2>Timeline</h2>", html);
        Assert.Contains("GC (forced) · gctrace.log", html);
        Assert.Contains("GC · trace.out", html);
        foreach (var a in timeline.Anchors)
            Assert.Contains(Html.Escape(a.How), html);

        // one artifact alone shares no axis with another: no section
        var alone = TimelineBuilder.Build([TimelineSources.FromFile(GoFixtures.PathOf("cpu.pb.gz"))]);
        Assert.DoesNotContain("<h2>Timeline</h2>", IncidentReport.Build(new IncidentInputs { Timeline = alone }).Render());
    }

    [SkippableFact]
    public void TimelinePage_RendersInHeadlessChromiumWithTheNetworkOff_WithItsLanes()
    {
        string? chromium = Chromium.Find();
        Skip.If(chromium is null, "Chromium is not installed (the test command installs Debian's chromium; it could not here).");
        string dir = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "timeline");
        Directory.CreateDirectory(dir);
        string page = Path.Combine(dir, "timeline.html");
        var timeline = GoTimeline();
        TimelineReport.Build(timeline, "Go timeline").Save(page);

        string dom = Chromium.Run(chromium!, page, dir, "--dump-dom", out string log);
        Assert.Equal(1, Regex.Count(dom, "class=\"plot-container plotly\""));
        Assert.Contains("class=\"main-svg\"", dom);
        Assert.DoesNotMatch(new Regex("CONSOLE.*(Uncaught|Error)|Uncaught ", RegexOptions.IgnoreCase), log);
        // the lanes with events, titled in the SVG (plotly writes axis titles as text elements)
        var lanes = Charts.TimelineLanes.Where(l => timeline.Events.Any(e => l.Kinds.Contains(e.Kind))).Select(l => l.Lane).ToList();
        Assert.Equal(["Heap (MB)", "GC", "GC CPU (%)", "Goroutines / threads", "Windows and snapshots"], lanes);
        foreach (string lane in lanes)
            Assert.Contains($">{Html.Escape(lane)}</text>", dom);
        Assert.Contains("wall clock (UTC)", dom);
    }

    [SkippableFact]
    public void DotNetTimeline_HasTheThreadsLane_FromTheTracesSamplesAndTheDumpsThreadList_DrawnInHeadlessChromium()
    {
        string trace = Analysis.Tests.Traces.TraceCaptures.Facts;
        string dump = DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap];
        var timeline = TimelineBuilder.Build([TimelineSources.FromFile(trace), TimelineSources.FromFile(dump)]);

        // the chart's data: the trace's thread counts as a step line, the dump's as a marker, on the goroutines/threads lane
        var figure = JsonDocument.Parse(GenericChart.toFigureJson(Charts.Timeline(timeline.Events, "threads"))).RootElement;
        var traces = figure.GetProperty("data").EnumerateArray().ToList();
        JsonElement Named(string name) => Assert.Single(traces, t => t.GetProperty("name").GetString() == name);
        var fromTrace = Named($"Threads · {Path.GetFileName(trace)}");
        var counts = timeline.Events.Where(e => e.Kind == TimelineKinds.Goroutines && e.Source == Path.GetFileName(trace)).ToList();
        Assert.Equal(counts.Select(e => e.Value!.Value), fromTrace.GetProperty("y").EnumerateArray().Select(y => y.GetDouble()));
        Assert.Equal("hv", fromTrace.GetProperty("line").GetProperty("shape").GetString());
        var fromDump = Named($"Threads · {Path.GetFileName(dump)}");
        Assert.Equal(timeline.Events.Single(e => e.Kind == TimelineKinds.Goroutines && e.Source == Path.GetFileName(dump)).Value, Assert.Single(fromDump.GetProperty("y").EnumerateArray()).GetDouble());
        string lane = fromTrace.GetProperty("yaxis").GetString()!;
        Assert.Equal(lane, fromDump.GetProperty("yaxis").GetString());
        string axis = lane == "y" ? "yaxis" : $"yaxis{lane[1..]}";
        Assert.Equal("Goroutines / threads", figure.GetProperty("layout").GetProperty(axis).GetProperty("title").GetProperty("text").GetString());

        // the exported page, drawn offline: the lane's title is in the SVG
        string? chromium = Chromium.Find();
        Skip.If(chromium is null, "Chromium is not installed (the test command installs Debian's chromium; it could not here).");
        string dir = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "timeline");
        Directory.CreateDirectory(dir);
        string page = Path.Combine(dir, "dotnet-timeline.html");
        TimelineReport.Build(timeline, ".NET timeline").Save(page);
        string html = File.ReadAllText(page);
        Assert.Contains($"Threads · {Path.GetFileName(trace)}", html);
        string dom = Chromium.Run(chromium!, page, dir, "--dump-dom", out string log);
        Assert.Equal(1, Regex.Count(dom, "class=\"plot-container plotly\""));
        Assert.DoesNotMatch(new Regex("CONSOLE.*(Uncaught|Error)|Uncaught ", RegexOptions.IgnoreCase), log);
        Assert.Contains(">Goroutines / threads</text>", dom);
        Assert.Contains($"Threads · {Path.GetFileName(trace)}", dom); // the legend
    }
}
