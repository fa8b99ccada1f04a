using Analysis.Testing;
using System.Globalization;
using Analysis.Tests.Go;
using Analysis.Timelines;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Timelines;

/// <summary>
/// Goroutine dumps placed on an execution trace's clock by goroutine ids. Fixtures: tests/testdata/go/dump-in-trace
/// (generate.sh dump-in-trace: a dump written while a trace runs, the program logging "dump begin"/"dump end" into the
/// trace; MANIFEST from go tool trace -d=1) and the artifacts run's trace.out with goroutines-debug2.txt, written 65 s
/// after the trace stopped.
/// </summary>
public class GoroutineDumpPlacementTests(ITestOutputHelper output)
{
    private static string InTrace(string name) => GoFixtures.PathOf(Path.Combine("dump-in-trace", name));

    private static double InTraceManifest(string key) =>
        double.Parse(File.ReadLines(InTrace("MANIFEST")).Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..], CultureInfo.InvariantCulture);

    /// <summary>The trace's source with its clock's zero put at a chosen wall-clock time, so that the dump's placement shows as wall times.</summary>
    private static TimelineSource PlacedTrace(string path, DateTimeOffset zero)
    {
        var trace = TimelineSources.FromFile(path);
        return trace with { Anchors = [TimelineAnchor.ToWall(trace.Clocks[0].Id, zero, TimeSpan.Zero, AnchorQuality.User, "test", "the trace's zero put at a chosen time")] };
    }

    [Fact]
    public void DumpTakenWhileTheTraceRan_IsPlacedBetweenTheGoroutineCreationsAroundIt_AndOnTheWallClockThroughTheTrace()
    {
        // the run's artifacts: heap profiles place the gctrace, the trace's GCs the trace, the dump's goroutine ids the dump
        string[] files = ["gctrace.log", "heap-1.pb.gz", "heap-2.pb.gz", "trace.out", "goroutines.txt"];
        var timeline = TimelineBuilder.Build(files.Select(f => TimelineSources.FromFile(InTrace(f))).ToList());
        foreach (var a in timeline.Anchors)
            output.WriteLine(a.ToString());
        foreach (string w in timeline.Warnings)
            output.WriteLine("warning: " + w);
        Assert.Empty(timeline.Warnings);
        Assert.All(timeline.Events, e => Assert.NotNull(e.Time));

        var anchor = Assert.Single(timeline.Anchors, a => a.From == "goroutines.txt: when it was taken");
        Assert.Equal(("trace.out: since trace start", AnchorQuality.Derived), (anchor.To, anchor.Quality));
        double low = (anchor.Shift - anchor.Uncertainty).TotalMilliseconds, high = (anchor.Shift + anchor.Uncertainty).TotalMilliseconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"placed within [{low:F3}, {high:F3}] ms; the program logged the dump at [{InTraceManifest("dump.begin_ms"):F3}, {InTraceManifest("dump.end_ms"):F3}] ms"));

        // the interval is bounded by the last goroutine the trace saw created before the dump (the dump lists it) and
        // the first created after (the dump leaves it out), as go tool trace shows them, and holds the logged moment
        Assert.InRange(low, InTraceManifest("dump.last_created_before_ms") - 0.001, InTraceManifest("dump.last_created_before_ms") + 0.001);
        Assert.InRange(high, InTraceManifest("dump.first_created_after_ms") - 0.001, InTraceManifest("dump.first_created_after_ms") + 0.001);
        Assert.True(low <= InTraceManifest("dump.begin_ms") && InTraceManifest("dump.end_ms") <= high);
        Assert.Contains("goroutine ids", anchor.How);
        Assert.Contains("it leaves out goroutine", anchor.How);

        // on the wall clock: the dump marker at the interval's middle after the trace's start, within the trace
        var dump = timeline.Events.Single(e => e.Kind == TimelineKinds.Dump);
        var trace = timeline.Events.Single(e => e.Kind == TimelineKinds.Trace);
        Assert.Equal(("goroutines", trace.Time + anchor.Shift), (dump.Category, dump.Time));
        Assert.InRange(dump.Time!.Value, trace.Time!.Value, trace.Time.Value + trace.Duration!.Value);
        Assert.Contains($"{GoDumpCount()} goroutines", dump.Detail);
    }

    private static int GoDumpCount() => (int)InTraceManifest("dump.goroutines");

    [Fact]
    public void TheTraceSeesEveryGoroutineCreatedAndEnded_AsGoToolTraceDoes()
    {
        var trace = Analysis.Go.GoExecutionTrace.Load(InTrace("trace.out"));
        foreach (var g in trace.GoroutineLives)
            output.WriteLine(g.ToString());
        // main.dumpInTrace's parked goroutines (3 before the trace, one during it, one after the dump) and the one that ends
        var user = trace.GoroutineLives.Where(g => g.StartFunction?.StartsWith("main.", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(3, user.Count);
        Assert.Single(user, g => g.EndedMs is not null);
        Assert.Contains(trace.GoroutineLives, g => g.StartFunction == "runtime/trace.Start.func1" && g.IsRuntime == false);
        Assert.Contains(trace.GoroutineLives, g => g.IsRuntime == true);
        Assert.Contains(trace.GoroutineLives, g => Math.Abs((g.CreatedMs ?? -1) - InTraceManifest("dump.first_created_after_ms")) < 0.001);
    }

    [Fact]
    public void DumpTakenAfterTheTrace_StaysOffTheTimeline_AndTheWarningSaysItCameAfterTheTrace()
    {
        var zero = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var timeline = TimelineBuilder.Build([PlacedTrace(GoFixtures.PathOf("trace.out"), zero), TimelineSources.FromFile(GoFixtures.PathOf("goroutines-debug2.txt"))]);
        string w = Assert.Single(timeline.Warnings, w => w.Contains("goroutines-debug2.txt", StringComparison.Ordinal));
        output.WriteLine(w);
        // every goroutine it lists lived through the whole trace, and it leaves out the trace's reader (user goroutines
        // the trace created and did not see end): taken before the reader was created, or after the trace
        Assert.StartsWith("goroutines-debug2.txt is a goroutine dump: it records no time, and its goroutine ids do not place it on the timeline: against trace.out: its goroutines fit a dump taken before +", w);
        Assert.Contains("it leaves out goroutine", w);
        Assert.EndsWith($" or after +{Analysis.Go.GoExecutionTrace.Load(GoFixtures.PathOf("trace.out")).DurationMs.ToString("F3", CultureInfo.InvariantCulture)} ms (the trace's end) on trace.out's clock, and nothing bounds that in time", w);
        Assert.DoesNotContain(timeline.Anchors, a => a.From.StartsWith("goroutines-debug2.txt", StringComparison.Ordinal));
        Assert.Null(timeline.Events.Single(e => e.Kind == TimelineKinds.Dump).Time);
    }

    [Fact]
    public void DumpOfAnotherProcess_DoesNotFit_AndTheWarningNamesTheGoroutinesThatExcludeEachOther()
    {
        // the artifacts run's dump against the dump-in-trace run's trace: ids of one process are not the other's
        var timeline = TimelineBuilder.Build([TimelineSources.FromFile(InTrace("trace.out")), TimelineSources.FromFile(GoFixtures.PathOf("goroutines-debug2.txt"))]);
        string w = Assert.Single(timeline.Warnings, w => w.StartsWith("goroutines-debug2.txt", StringComparison.Ordinal));
        output.WriteLine(w);
        Assert.StartsWith("goroutines-debug2.txt is a goroutine dump: it records no time, and its goroutine ids do not place it on the timeline: against trace.out: ", w);
        Assert.Contains("no moment fits", w);
        Assert.Contains("(not the same process, or not the same run)", w);
    }

    [Fact]
    public void DumpAlone_OrADebug1Profile_SaysWhyItIsNotPlaced()
    {
        var alone = TimelineBuilder.Build([TimelineSources.FromFile(InTrace("goroutines.txt"))]);
        Assert.Equal("goroutines.txt is a goroutine dump: it records no time, and no execution trace of the same process was given to place it by its goroutine ids; it is not on the timeline", Assert.Single(alone.Warnings));
        var debug1 = TimelineSources.FromFile(GoFixtures.PathOf("goroutines-debug1.txt"));
        Assert.Empty(debug1.Events);
        Assert.Contains("lists no goroutine ids", Assert.Single(debug1.Warnings));
    }

    [SkippableFact]
    public void TracebackOfFiveThousandGoroutines_AgainstATraceOfAnotherRun_IsRejectedAtOnce()
    {
        // the "many" core's GOTRACEBACK=crash traceback (over 5,000 goroutines) is a goroutine dump of another process
        Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        string traceback = GoCoreSet.Instance["go1.23", GoCoreMode.Many].TracebackPath;
        var dump = TimelineSources.FromFile(traceback);
        Assert.True(dump.GoroutineIds.Count > 5000, $"{dump.GoroutineIds.Count} goroutines");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var timeline = TimelineBuilder.Build([TimelineSources.FromFile(InTrace("trace.out")), dump]);
        output.WriteLine($"{clock.Elapsed.TotalMilliseconds:F0} ms: {string.Join(" | ", timeline.Warnings)}");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Contains(timeline.Warnings, w => w.StartsWith(Path.GetFileName(traceback) + " is a goroutine dump: it records no time, and its goroutine ids do not place it", StringComparison.Ordinal));
    }
}
