using System.Globalization;
using Analysis.Go;
using Analysis.Tests.Go;
using Analysis.Timelines;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Timelines;

/// <summary>
/// The Go anchors against the wall clock the program itself read, on tests/testdata/go/dump-in-trace (generate.sh
/// dump-in-trace): memstats.LastGC after each heap profile (the wall-clock end of the GC before it) and a time.Now()
/// logged into the trace (the trace's clock against the wall clock), both in its MANIFEST.
/// </summary>
public class GoTimelineClockTests(ITestOutputHelper output)
{
    private static string Path(string name) => GoFixtures.PathOf(System.IO.Path.Combine("dump-in-trace", name));

    private static string Manifest(string key) =>
        File.ReadLines(Path("MANIFEST")).Single(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    private static DateTimeOffset Unix(string key) => DateTimeOffset.UnixEpoch.AddTicks(long.Parse(Manifest(key), CultureInfo.InvariantCulture) / 100);

    [Fact]
    public void RuntimeStart_FromHeapProfilesAndFromGapMatching_AgreeWithTheProgramsOwnClocks_AndWithin5msOfEachOther()
    {
        // the truth: memstats.LastGC is the wall-clock time of a cycle's end; the gctrace gives that end on the runtime's
        // clock (@x truncated to the ms, the phases to two digits: taken at the middle, ± 0.5 ms)
        var cycles = GcTrace.Load(Path("gctrace.log")).Cycles;
        DateTimeOffset StartByLastGc(string profile)
        {
            var cycle = cycles.Single(c => c.Number == int.Parse(Manifest($"clock.{profile}.num_gc"), CultureInfo.InvariantCulture));
            return Unix($"clock.{profile}.last_gc_unix_ns") - TimeSpan.FromSeconds(cycle.AtSeconds) - TimeSpan.FromMilliseconds(0.5 + cycle.ClockPhasesMs.Sum());
        }

        var truth1 = StartByLastGc("heap-1");
        var truth2 = StartByLastGc("heap-2");
        Assert.InRange((truth2 - truth1).TotalMilliseconds, -1, 1);
        var truth = truth1 + ((truth2 - truth1) / 2);

        // route 1: the heap profiles against their forced GCs place the gctrace's clock
        var byHeap = TimelineBuilder.Build([.. new[] { "gctrace.log", "heap-1.pb.gz", "heap-2.pb.gz" }.Select(f => TimelineSources.FromFile(Path(f)))]);
        var heapAnchor = Assert.Single(byHeap.Anchors);
        var gcEvent = byHeap.Events.First(e => e.Kind == TimelineKinds.GC);
        var startByHeap = gcEvent.Time!.Value - gcEvent.Offset;

        // route 2: the trace's GCs against the gctrace's by their gap put the trace on the runtime's clock; the time the
        // program logged into the trace puts the trace on the wall clock
        var trace = TimelineSources.FromFile(Path("trace.out"));
        var byGaps = TimelineBuilder.Build([trace, TimelineSources.FromFile(Path("gctrace.log"))], new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gapAnchor = Assert.Single(byGaps.Anchors, a => a.From == "trace.out: since trace start");
        var traceZero = Unix("clock.wall_log_unix_ns") - TimeSpan.FromMilliseconds(double.Parse(Manifest("clock.wall_log_ms"), CultureInfo.InvariantCulture));
        var startByGaps = traceZero - gapAnchor.Shift;

        double heapMs = (startByHeap - truth).TotalMilliseconds, gapsMs = (startByGaps - truth).TotalMilliseconds, apartMs = (startByGaps - startByHeap).TotalMilliseconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"runtime start (memstats.LastGC): {truth:O} (the two GCs agree within {(truth2 - truth1).TotalMilliseconds:F3} ms)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"heap profiles: {startByHeap:O}, {heapMs:+0.000;-0.000} ms from it (± {heapAnchor.Uncertainty.TotalMilliseconds:F1} ms: {heapAnchor.How})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GC gaps and the logged time: {startByGaps:O}, {gapsMs:+0.000;-0.000} ms from it (± {gapAnchor.Uncertainty.TotalMilliseconds:F1} ms: {gapAnchor.How})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the two routes are {apartMs:+0.000;-0.000} ms apart"));

        // each anchor holds the truth within its uncertainty (and half a millisecond for the truth's own rounding); the
        // heap profiles are never early: a profile is written after its GC
        Assert.InRange(heapMs, -0.5 - 0.5, heapAnchor.Uncertainty.TotalMilliseconds + 0.5);
        Assert.InRange(Math.Abs(gapsMs), 0, gapAnchor.Uncertainty.TotalMilliseconds + 0.5);
        // the fact: the gap matching gives the runtime's start within 5 ms of the heap profiles' (here the
        // trace's wall clock is logged, not taken from the CPU profile's end as on the committed artifacts run)
        Assert.InRange(Math.Abs(apartMs), 0, 5);
    }
}
