using System.Text.Json;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Reporting;
using Analysis.Stacks;
using Analysis.Testing;
using Analysis.Tests.Go;
using Analysis.Tests.Traces;
using Plotly.NET;
using Xunit;

namespace Analysis.Tests.Reporting;

/// <summary>Each chart function: the trace type and the data the chart carries, from real artifacts.</summary>
public class ChartTests
{
    private static JsonElement Figure(GenericChart chart) => JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement;

    private static JsonElement[] Traces(GenericChart chart) => Figure(chart).GetProperty("data").EnumerateArray().ToArray();

    private static long[] Longs(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static string[] Strings(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetString()!).ToArray();

    private static DumpSession Dump() => DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);

    [Fact]
    public void HeapTop_IsAHorizontalBarOfBytesLargestOnTop()
    {
        using var dump = Dump();
        var rows = dump.GetHeapTop(5);
        var bar = Assert.Single(Traces(Charts.HeapTop(rows)));
        Assert.Equal("bar", bar.GetProperty("type").GetString());
        Assert.Equal("h", bar.GetProperty("orientation").GetString());
        Assert.Equal(rows.Reverse().Select(r => r.TotalSize), Longs(bar, "x"));
        Assert.Equal(TargetFacts.LeakedOrderType, Strings(bar, "y")[^1]);
    }

    [Fact]
    public void RetainedTop_PairsRetainedAndOwnBytesPerType_LargestOnTop()
    {
        using var dump = Dump();
        var rows = dump.GetRetainedByType(6);
        var traces = Traces(Charts.RetainedTop(rows)).ToArray();
        Assert.Equal(2, traces.Length);
        Assert.Equal(["retained", "own size"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(rows.Reverse().Select(r => r.RetainedSize), Longs(traces[0], "x"));
        Assert.Equal(rows.Reverse().Select(r => r.ShallowSize), Longs(traces[1], "x"));
        Assert.Equal(Strings(traces[0], "y"), Strings(traces[1], "y"));
        Assert.All(rows, r => Assert.True(r.RetainedSize >= r.ShallowSize));
        Assert.Equal(rows.Select(r => r.RetainedSize).OrderDescending(), rows.Select(r => r.RetainedSize));
    }

    [Fact]
    public void HeapByNamespace_IsATreemapWhoseNamespacesSumTheirTypes()
    {
        using var dump = Dump();
        var rows = dump.GetHeapTop(200);
        var map = Assert.Single(Traces(Charts.HeapByNamespace(rows)));
        Assert.Equal("treemap", map.GetProperty("type").GetString());
        var ids = Strings(map, "ids");
        var values = Longs(map, "values");
        int ns = Array.IndexOf(ids, "ns:Contoso.Orders");
        Assert.Equal(rows.Where(r => r.TypeName.StartsWith("Contoso.Orders.", StringComparison.Ordinal) && !r.TypeName.Contains('<')).Sum(r => r.TotalSize), values[ns]);
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void ThreadStates_CountsThreadsPerState()
    {
        using var dump = Dump();
        var threads = dump.GetThreads();
        var bar = Assert.Single(Traces(Charts.ThreadStates(threads)));
        var states = Strings(bar, "x");
        var counts = Longs(bar, "y");
        Assert.Equal(3, counts[Array.IndexOf(states, "Deadlocked")]);
        Assert.Equal(threads.Count, counts.Sum());
    }

    [Fact]
    public void DeadlockCycle_DrawsThreadsLocksAndOneArrowPerEdge()
    {
        using var dump = Dump();
        var cycle = dump.GetThreads().First(t => t.Deadlock is not null).Deadlock!;
        var figure = Figure(Charts.DeadlockCycle(cycle));
        var points = Assert.Single(figure.GetProperty("data").EnumerateArray());
        Assert.Equal(["worker-a (thread", "AccountLock#2", "worker-b (thread", "Lock#1", "worker-c (thread", "AccountLock#1"],
            Strings(points, "text").Select(t => t.Split(' ').Length > 1 ? t.Split(' ')[0] + " (thread" : t));
        var arrows = figure.GetProperty("layout").GetProperty("annotations").EnumerateArray().ToArray();
        Assert.Equal(6, arrows.Length);
        Assert.Equal(3, arrows.Count(a => a.GetProperty("text").GetString() == "waits for"));
    }

    [Fact]
    public void GcPauses_HasOneSeriesPerGenerationAndTheHeapLine()
    {
        var gcs = TraceCaptures.FactsAnalysis.Gcs;
        var traces = Traces(Charts.GcPauses(gcs));
        var gen2 = Assert.Single(traces, t => t.GetProperty("name").GetString() == "gen2 pause");
        Assert.Equal(TraceFacts.InducedGen2Count, gen2.GetProperty("y").GetArrayLength());
        Assert.Equal("y2", Assert.Single(traces, t => t.GetProperty("name").GetString() == "heap after (MB)").GetProperty("yaxis").GetString());
    }

    [Fact]
    public void FlameGraph_IsAnIcicleWhoseRootHoldsEverySample()
    {
        var folded = TraceCaptures.FactsAnalysis.GetFoldedStacks();
        var icicle = Assert.Single(Traces(Charts.FlameGraph(folded)));
        Assert.Equal("icicle", icicle.GetProperty("type").GetString());
        var values = Longs(icicle, "values");
        Assert.Equal(folded.Sum(f => f.Samples), values[0]);
        var labels = Strings(icicle, "labels");
        Assert.Contains("TraceTarget!" + TraceFacts.HotMethod, labels);
        Assert.Equal(Strings(icicle, "ids").Length, Strings(icicle, "ids").Distinct().Count());
    }

    [Fact]
    public void StackBuckets_AndPprofTop_ChartTheirCounts()
    {
        var buckets = StackGrouper.Group(GoroutineDumpParser.ParseFile(GoFixtures.PathOf("goroutines-debug2.txt")).Goroutines);
        var bar = Assert.Single(Traces(Charts.StackBuckets(buckets, top: 4)));
        Assert.Equal([10, 25, 50, 100], Longs(bar, "x"));

        var diff = PprofQueries.Top(PprofProfile.Load(GoFixtures.PathOf("heap-2.pb.gz")).Subtract(PprofProfile.Load(GoFixtures.PathOf("heap-1.pb.gz"))), 3);
        var pprof = Assert.Single(Traces(Charts.PprofTop(diff)));
        Assert.Equal(GoFixtures.ManifestLong("pprof.heapdiff.inuse_space.top_flat"), Longs(pprof, "x")[^1]);
    }

    [Fact]
    public void GoGcCycles_MarksForcedCycles()
    {
        var cycles = GcTrace.Load(GoFixtures.PathOf("gctrace.log")).Cycles;
        var pause = Traces(Charts.GoGcCycles(cycles))[0];
        var colors = pause.GetProperty("marker").GetProperty("color").EnumerateArray().Select(c => c.GetString()).ToArray();
        Assert.Equal(GoFixtures.ManifestInt("gctrace.forced"), colors.Count(c => c == "#d62728"));
    }

    [Fact]
    public void Timeline_DrawsEachKindInItsLane_OnTheWallClock_GcsAsBands()
    {
        var source = Analysis.Timelines.DotNetTimelineSources.FromTrace(TraceCaptures.Facts);
        var events = source.Events;
        var figure = Figure(Charts.Timeline(events, "t"));
        var traces = figure.GetProperty("data").EnumerateArray().ToArray();
        var layout = figure.GetProperty("layout");
        Assert.Equal("date", layout.GetProperty("xaxis").GetProperty("type").GetString());
        // one lane (a y axis) per lane with events, titled as the catalog of lanes says, top to bottom
        var lanes = Charts.TimelineLanes.Where(l => events.Any(e => l.Kinds.Contains(e.Kind))).Select(l => l.Lane).ToArray();
        Assert.Contains("GC", lanes);
        Assert.Contains("Heap (MB)", lanes);
        for (int i = 0; i < lanes.Length; i++)
            Assert.Equal(lanes[i], layout.GetProperty(i == 0 ? "yaxis" : $"yaxis{i + 1}").GetProperty("title").GetProperty("text").GetString());
        // every GC is one band (start, end, gap) in the trace of its reason; the induced ones are red
        var gcs = events.Where(e => e.Kind == Analysis.Timelines.TimelineKinds.GC).ToArray();
        foreach (var reason in gcs.GroupBy(g => g.Category))
        {
            var band = traces.Single(t => t.GetProperty("name").GetString()!.StartsWith($"GC ({reason.Key}) ·", StringComparison.Ordinal));
            Assert.Equal(3 * reason.Count(), band.GetProperty("x").GetArrayLength());
            Assert.Equal(reason.Key!.StartsWith("Induced", StringComparison.Ordinal) ? "#d62728" : "#1f77b4", band.GetProperty("line").GetProperty("color").GetString());
        }

        Assert.Equal(TraceFacts.InducedGen2Count, gcs.Count(g => g.Category!.StartsWith("Induced", StringComparison.Ordinal)));
        // heap sizes in MB, in the order of the events' times
        var after = traces.Single(t => t.GetProperty("name").GetString()!.StartsWith("Heap (after) ·", StringComparison.Ordinal));
        var expected = events.Where(e => e.Kind == Analysis.Timelines.TimelineKinds.Heap && e.Category == "after").OrderBy(e => e.Time).Select(e => Math.Round(e.Value!.Value * 1e-6, 3));
        Assert.Equal(expected, after.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
    }
}
