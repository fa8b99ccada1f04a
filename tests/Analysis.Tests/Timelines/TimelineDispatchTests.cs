using Analysis.Testing;
using Analysis.Tests.Traces;
using Analysis.Timelines;
using Xunit;

namespace Analysis.Tests.Timelines;

/// <summary>TimelineSources.FromFile tells .NET artifacts from Go ones by content and joins them on the wall clock.</summary>
public class TimelineDispatchTests
{
    [Fact]
    public void DotNetTraceAndDump_AreReadByKind_AndShareTheWallClockWithGoArtifacts()
    {
        string trace = TraceCaptures.Facts;
        string dump = DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap];
        var fromTrace = TimelineSources.FromFile(trace);
        var direct = DotNetTimelineSources.FromTrace(trace);
        Assert.Equal(direct.Events.Select(e => (e.Kind, e.Time)), fromTrace.Events.Select(e => (e.Kind, e.Time)));

        // an ELF core of a .NET process is a dump marker, not a Go core (it maps libcoreclr.so)
        var fromDump = TimelineSources.FromFile(dump);
        var marker = Assert.Single(fromDump.Events, e => e.Kind == TimelineKinds.Dump);
        Assert.Equal(marker.Time, Assert.Single(fromDump.Events, e => e.Kind == TimelineKinds.Goroutines).Time); // its thread count
        Assert.Equal(DotNetTimelineSources.FromDump(dump).Events[0].Time, marker.Time);

        var timeline = TimelineBuilder.Build([fromTrace, fromDump, TimelineSources.FromFile(Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "gctrace.log"))]);
        // the .NET events are on the wall clock; the lone gctrace stays on its own, and the timeline says so
        Assert.All(timeline.Events.Where(e => e.Source != "gctrace.log"), e => Assert.NotNull(e.Time));
        Assert.All(timeline.Events.Where(e => e.Source == "gctrace.log"), e => Assert.Null(e.Time));
        Assert.Contains(timeline.Warnings, w => w.Contains("gctrace.log", StringComparison.Ordinal));
        var anchored = timeline.Events.Where(e => e.Time is not null).Select(e => e.Time!.Value).ToList();
        Assert.Equal(anchored.Order(), anchored);
    }

    [Fact]
    public void ExecutionTrace_GivesTheHeapItReported_AllocatedAndGoal_OnTheHeapLane()
    {
        string path = Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "trace.out");
        var trace = Analysis.Go.GoExecutionTrace.Load(path);
        var heap = TimelineSources.FromFile(path).Events.Where(e => e.Kind == TimelineKinds.Heap).ToList();
        Assert.Equal(trace.HeapOverTime.Select(h => (h.Kind, (double)h.Bytes, Math.Round(h.TimeMs, 3))),
            heap.Select(e => (e.Category!, e.Value!.Value, Math.Round(e.Offset.TotalMilliseconds, 3))));
        Assert.Contains(heap, e => e.Category == "goal");
        Assert.Contains(heap, e => e.Category == "allocated");
    }
}
