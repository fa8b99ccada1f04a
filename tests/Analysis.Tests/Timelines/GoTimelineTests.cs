using System.Globalization;
using Analysis.Go;
using Analysis.Testing;
using Analysis.Tests.Go;
using Analysis.Timelines;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Timelines;

/// <summary>
/// The Go artifacts on one timeline, on the committed fixtures (tests/testdata/go, written by one run of the leaky
/// program: runtime.GC then heap-1, runtime.GC then heap-2, allocs, block, mutex, a 2 s CPU profile, then the
/// execution trace with two forced GCs, then a 65 s wait and the goroutine dumps) and on the Go core fixtures.
/// </summary>
public class GoTimelineTests(ITestOutputHelper output)
{
    private static TimelineSource Source(string name) => TimelineSources.FromFile(GoFixtures.PathOf(name));

    private static string RuntimeClock(string file) => $"{file}: since runtime start";

    /// <summary>The wall-clock time of a clock's zero, from an anchored event on it.</summary>
    private static DateTimeOffset ZeroOf(Analysis.Timelines.Timeline timeline, string clock)
    {
        var e = timeline.Events.First(e => e.Clock == clock && e.Time is not null);
        return e.Time!.Value - e.Offset;
    }

    [Fact]
    public void GapMatching_AndTheHeapProfiles_AgreeOnTheRuntimeStart_WithinTheProgramsDelays()
    {
        // Route 1: the heap profiles against the forced GCs before them (gc 2, gc 4) place the gctrace's clock.
        var byHeap = TimelineBuilder.Build([Source("gctrace.log"), Source("heap-1.pb.gz"), Source("heap-2.pb.gz")]);
        var heapAnchor = Assert.Single(byHeap.Anchors);
        Assert.Equal(AnchorQuality.Derived, heapAnchor.Quality);
        Assert.Contains("heap-1.pb.gz after gc 2, heap profile heap-2.pb.gz after gc 4", heapAnchor.How);
        var startByHeap = ZeroOf(byHeap, RuntimeClock("gctrace.log"));

        // Route 2: the trace's GCs matched to the gctrace's by their gaps put the trace on the runtime's clock; the
        // program started the trace as soon as the CPU profile was written, so the CPU profile's end is the trace start.
        var arbitrary = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var byGaps = TimelineBuilder.Build([Source("trace.out"), Source("gctrace.log")], arbitrary);
        var gapAnchor = Assert.Single(byGaps.Anchors, a => a.Quality == AnchorQuality.Derived);
        Assert.Equal(("trace.out: since trace start", RuntimeClock("gctrace.log")), (gapAnchor.From, gapAnchor.To));
        Assert.Contains("gc 5–6", gapAnchor.How);
        var traceStartOnRuntimeClock = byGaps.Events.Single(e => e.Kind == TimelineKinds.Trace).Time!.Value - arbitrary;
        var cpu = Source("cpu.pb.gz").Events.Single(e => e.Kind == TimelineKinds.CpuProfile);
        var startByGaps = cpu.Time!.Value + cpu.Duration!.Value - traceStartOnRuntimeClock;

        // Each route errs one way, by a delay of the program that no artifact records: a heap profile's time_nanos is
        // read after runtime.GC has returned (it sweeps the whole heap first) and the profile's records are copied, so
        // route 1's start comes out late by the smaller profile's delay; the CPU profile's duration ends when its
        // profile is built, and the trace's first event follows the profile's encoding, the file's close, trace.Start's
        // buffers and its stop-the-world, so route 2's start comes out early by that delay. Both routes read the gctrace
        // the same way (its truncation to the millisecond cancels here), and the gap match itself agrees with memstats'
        // LastGC within 0.5 ms. Measured on five more runs of this program (Go 1.23, a copy that printed LastGC and a
        // wall/monotonic pair): heap profile delays 0.4–9.1 ms, CPU profile end to the trace's first event 1.4–5.1 ms,
        // this difference -2.4 to -6.1 ms. On the committed run it is -5.97 ms: over the issue's 5 ms by the program's
        // delays, not by the matching. So route 2 ≤ route 1, within the issue's ~10 ms. Where the trace's wall clock is
        // known without the CPU profile (dump-in-trace: the program logs time.Now() into it), the routes agree within 5 ms
        // and each holds memstats.LastGC's truth: GoTimelineClockTests.
        double differenceMs = (startByGaps - startByHeap).TotalMilliseconds;
        output.WriteLine($"runtime start from heap profiles {startByHeap:O} ± {heapAnchor.Uncertainty.TotalMilliseconds:F2} ms ({heapAnchor.How})");
        output.WriteLine($"trace start on the runtime clock {traceStartOnRuntimeClock.TotalMilliseconds:F3} ms ± {gapAnchor.Uncertainty.TotalMilliseconds:F2} ms ({gapAnchor.How})");
        output.WriteLine($"runtime start from gap matching and the CPU profile's end {startByGaps:O}: {differenceMs:F2} ms from the heap profiles'");
        Assert.InRange(differenceMs, -10, 0);
        // the heap profiles' anchor says how late it may be (a profile's delay after its GC): the other route is within it
        Assert.InRange(-differenceMs, 0, heapAnchor.Uncertainty.TotalMilliseconds);
    }

    [Fact]
    public void AllArtifacts_OnTheWallClock_InTheProgramsOrder_TheCpuWindowEndsBeforeTheTraceStarts()
    {
        string[] files = ["gctrace.log", "trace.out", "heap-1.pb.gz", "heap-2.pb.gz", "allocs.pb.gz", "block.pb.gz", "mutex.pb.gz", "cpu.pb.gz", "goroutine.pb.gz", "goroutines-debug2.txt"];
        var timeline = TimelineBuilder.Build(files.Select(Source).ToList());
        foreach (var a in timeline.Anchors)
            output.WriteLine(a.ToString());
        foreach (string w in timeline.Warnings)
            output.WriteLine("warning: " + w);

        Assert.DoesNotContain(timeline.Warnings, w => w.Contains("stays on its own clock", StringComparison.Ordinal) || w.StartsWith("-StartTime", StringComparison.Ordinal));
        // the goroutine dump was written 65 s after the trace: its ids say only that it came after the trace, so it stays off
        Assert.All(timeline.Events.Where(e => e.Source != "goroutines-debug2.txt"), e => Assert.NotNull(e.Time));
        Assert.Null(timeline.Events.Single(e => e.Source == "goroutines-debug2.txt").Time);
        Assert.Single(timeline.Warnings, w => w.StartsWith("goroutines-debug2.txt is a goroutine dump: it records no time", StringComparison.Ordinal) && w.Contains("(the trace's end) on trace.out's clock, and nothing bounds that in time", StringComparison.Ordinal));

        var cpu = timeline.Events.Single(e => e.Kind == TimelineKinds.CpuProfile);
        var trace = timeline.Events.Single(e => e.Kind == TimelineKinds.Trace);
        var cpuEnd = cpu.Time!.Value + cpu.Duration!.Value;
        output.WriteLine($"CPU profile {cpu.Time:O} .. {cpuEnd:O}; trace {trace.Time:O} .. {trace.Time + trace.Duration:O}: {(trace.Time!.Value - cpuEnd).TotalMilliseconds:F2} ms after");
        Assert.True(cpuEnd < trace.Time, $"the CPU profile ends at {cpuEnd:O}, after the trace starts at {trace.Time:O}");

        // The trace's two GCs are the gctrace's forced gc 5 and gc 6, within the anchors' uncertainty.
        var traceGcs = timeline.Events.Where(e => e.Kind == TimelineKinds.GC && e.Source == "trace.out").ToList();
        var gcTraceGcs = timeline.Events.Where(e => e.Kind == TimelineKinds.GC && e.Source == "gctrace.log").ToList();
        Assert.Equal(GoFixtures.ManifestInt("trace.gcs"), traceGcs.Count);
        var gapAnchor = timeline.Anchors.Single(a => a.From == "trace.out: since trace start");
        for (int i = 0; i < traceGcs.Count; i++)
        {
            var same = gcTraceGcs.Single(e => e.Detail.StartsWith($"gc {5 + i} ", StringComparison.Ordinal));
            Assert.InRange(Math.Abs((traceGcs[i].Time!.Value - same.Time!.Value).TotalMilliseconds), 0, gapAnchor.Uncertainty.TotalMilliseconds);
            Assert.True(traceGcs[i].Time >= trace.Time && traceGcs[i].Time <= trace.Time + trace.Duration);
        }

        // The program's order: heap-1, heap-2, allocs, block, mutex, the CPU profile, the trace, the goroutine profile.
        DateTimeOffset At(string source) => timeline.Events.Single(e => e.Source == source && e.Kind is TimelineKinds.Profile or TimelineKinds.CpuProfile or TimelineKinds.Trace).Time!.Value;
        string[] order = ["heap-1.pb.gz", "heap-2.pb.gz", "allocs.pb.gz", "block.pb.gz", "mutex.pb.gz", "cpu.pb.gz", "trace.out", "goroutine.pb.gz"];
        for (int i = 1; i < order.Length; i++)
            Assert.True(At(order[i - 1]) <= At(order[i]), $"{order[i - 1]} ({At(order[i - 1]):O}) after {order[i]} ({At(order[i]):O})");

        // Each heap profile comes after the forced GC it was matched to, and before the next GC.
        var gc2 = gcTraceGcs.Single(e => e.Detail.StartsWith("gc 2 ", StringComparison.Ordinal));
        var gc3 = gcTraceGcs.Single(e => e.Detail.StartsWith("gc 3 ", StringComparison.Ordinal));
        Assert.InRange(At("heap-1.pb.gz"), gc2.Time!.Value + gc2.Duration!.Value - TimeSpan.FromMilliseconds(1), gc3.Time!.Value);

        // Anchored events are in time order; the STW pauses lie within their GC.
        var times = timeline.Events.Where(e => e.Time is not null).Select(e => e.Time).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(GoFixtures.ManifestInt("trace.stw"), timeline.Events.Count(e => e.Kind == TimelineKinds.Pause && e.Source == "trace.out"));
        Assert.Equal(2 * GoFixtures.ManifestInt("gctrace.cycles"), timeline.Events.Count(e => e.Kind == TimelineKinds.Pause && e.Source == "gctrace.log"));
    }

    [Fact]
    public void Alone_TraceAndGcTrace_StayOnTheirOwnClocks_WithAWarningEach()
    {
        var timeline = TimelineBuilder.Build([Source("trace.out"), Source("gctrace.log")]);
        Assert.All(timeline.Events, e => Assert.Null(e.Time));
        Assert.Single(timeline.Warnings, w => w.StartsWith("trace.out: since trace start stays on its own clock: it is tied to gctrace.log: since runtime start", StringComparison.Ordinal));
        Assert.Single(timeline.Warnings, w => w.StartsWith("gctrace.log: since runtime start stays on its own clock:", StringComparison.Ordinal) && w.Contains("give -StartTime", StringComparison.Ordinal));
        Assert.Empty(timeline.Anchors);

        // unanchored events: by clock, then offset
        var keys = timeline.Events.Select(e => (e.Clock, e.Offset)).ToList();
        Assert.Equal(keys.OrderBy(k => k.Clock, StringComparer.Ordinal).ThenBy(k => k.Offset), keys);
    }

    [Fact]
    public void TraceAgainstAGcTraceWithoutItsGcs_IsNotMatched_AndSaysWhy()
    {
        // the first four cycles only: gc 5 and gc 6, the trace's, are missing; 7 ms, 607 ms and 2 ms gaps are not 72 ms
        var lines = File.ReadLines(GoFixtures.PathOf("gctrace.log")).Take(4);
        var partial = GoTimelineSources.FromGcTrace(GcTrace.Parse(new StringReader(string.Join('\n', lines)), "gctrace-1-4.log"));
        var timeline = TimelineBuilder.Build([Source("trace.out"), partial]);
        Assert.Empty(timeline.Anchors);
        string w = Assert.Single(timeline.Warnings, w => w.StartsWith("trace.out: since trace start stays on its own clock", StringComparison.Ordinal));
        Assert.Contains("matched no run of gctrace-1-4.log's 4 GC cycles (the best alignment is off by", w);
    }

    [Fact]
    public void StartTime_AnchorsALoneGcTrace()
    {
        var start = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var timeline = TimelineBuilder.Build([Source("gctrace.log")], start);
        var anchor = Assert.Single(timeline.Anchors);
        Assert.Equal(AnchorQuality.User, anchor.Quality);
        Assert.Contains("gctrace.log", anchor.How);
        Assert.DoesNotContain(timeline.Warnings, w => w.Contains("own clock", StringComparison.Ordinal));
        var cycles = GcTrace.Load(GoFixtures.PathOf("gctrace.log")).Cycles;
        var gcs = timeline.Events.Where(e => e.Kind == TimelineKinds.GC).ToList();
        // "@x.xxx s" is truncated to the millisecond: the cycle started within [x, x + 1 ms), taken at its middle
        Assert.Equal(cycles.Select(c => start.AddTicks((long)Math.Round(c.AtSeconds * TimeSpan.TicksPerSecond)).AddMilliseconds(0.5)), gcs.Select(e => e.Time!.Value));

        // with the heap profiles, the gctrace anchors itself and -StartTime is not used
        var both = TimelineBuilder.Build([Source("gctrace.log"), Source("heap-1.pb.gz"), Source("heap-2.pb.gz")], start);
        Assert.DoesNotContain(both.Anchors, a => a.Quality == AnchorQuality.User);
        Assert.Contains(both.Warnings, w => w.StartsWith("-StartTime was not used", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("rfc3339")]
    [InlineData("journald")]
    public void GcTraceWithTimestampPrefixes_AnchorsItself(string form)
    {
        // The fixture's lines as a log collector would have stamped them: each logged 0.2 ms after its cycle ended,
        // for a runtime that started at a chosen moment; the prefix keeps only the form's resolution.
        var start = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(123.4567);
        var original = GcTrace.Load(GoFixtures.PathOf("gctrace.log")).Cycles;
        var lines = File.ReadLines(GoFixtures.PathOf("gctrace.log")).Select((line, i) =>
        {
            var c = original[i];
            var logged = start + TimeSpan.FromSeconds(c.AtSeconds) + TimeSpan.FromMilliseconds(c.ClockPhasesMs.Sum() + 0.2);
            return form == "rfc3339"
                ? logged.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) + " " + line
                : logged.UtcDateTime.ToString("MMM dd HH:mm:ss", CultureInfo.InvariantCulture) + " host leaky[4242]: " + line;
        });
        var trace = GcTrace.Parse(new StringReader(string.Join('\n', lines)), $"{form}.log", 2024);
        Assert.Equal(original.Count, trace.Cycles.Count);
        var timeline = TimelineBuilder.Build([GoTimelineSources.FromGcTrace(trace)]);
        var anchor = Assert.Single(timeline.Anchors);
        Assert.Equal(AnchorQuality.Derived, anchor.Quality);
        var zero = ZeroOf(timeline, RuntimeClock($"{form}.log"));
        output.WriteLine($"{anchor}; off by {(zero - start).TotalMilliseconds:F3} ms");
        Assert.InRange((zero - start).Duration(), TimeSpan.Zero, anchor.Uncertainty);
        Assert.InRange(anchor.Uncertainty, TimeSpan.Zero, form == "rfc3339" ? TimeSpan.FromMilliseconds(4) : TimeSpan.FromMilliseconds(500));
    }

    [SkippableFact]
    public void GoCore_ProcessStart_IsWithin10msOfTheRecordedStart()
    {
        Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        int checkedCores = 0;
        foreach (var fixture in GoCoreSet.Instance.All)
        {
            var timeline = TimelineBuilder.Build([TimelineSources.FromFile(fixture.CorePath, fixture.Executable)]);
            string file = Path.GetFileName(fixture.CorePath);
            if (fixture.Build.Stripped)
            {
                // no symbols, no memstats: the core gives no wall-clock time, and says so
                Assert.Empty(timeline.Anchors);
                Assert.Contains(timeline.Warnings, w => w.StartsWith($"{file}: since runtime start stays on its own clock", StringComparison.Ordinal));
                Assert.Contains(timeline.Warnings, w => w.StartsWith($"{file}: the runtime's memory state could not be read", StringComparison.Ordinal));
                continue;
            }

            var anchor = Assert.Single(timeline.Anchors);
            Assert.Equal(AnchorQuality.Exact, anchor.Quality);
            var start = timeline.Events.Single(e => e.Kind == TimelineKinds.ProcessStart).Time!.Value;
            double ms = (start - fixture.StartTime).TotalMilliseconds;
            output.WriteLine($"{fixture.Build.Version} {fixture.Mode}: process start {start:O}, recorded {fixture.StartTime:O}: {ms:F3} ms");
            // the runtime starts before main reads the clock: never after the recorded start, and within the issue's 10 ms
            Assert.InRange(ms, -10, 0);
            var dump = timeline.Events.Single(e => e.Kind == TimelineKinds.Dump);
            Assert.True(dump.Time > start);
            Assert.Contains("does not record when", dump.Detail);
            Assert.Equal(file, dump.Source);
            checkedCores++;
        }

        Assert.Equal(GoCoreSet.Instance.All.Count(f => !f.Build.Stripped), checkedCores);
    }

    [Fact]
    public void FromFile_TellsTheKindFromTheContent_AndRefusesOthers()
    {
        Assert.Equal(["gctrace.log: since runtime start"], Source("gctrace.log").Clocks.Select(c => c.Id));
        Assert.Equal(["trace.out: since trace start"], Source("trace.out").Clocks.Select(c => c.Id));
        Assert.Equal(TimelineKinds.CpuProfile, Assert.Single(Source("cpu.pb.gz").Events).Kind);
        var heap = Source("heap-1.pb.gz");
        Assert.Equal((TimelineKinds.Profile, "alloc_objects, alloc_space, inuse_objects, inuse_space"), (Assert.Single(heap.Events).Kind, heap.Events[0].Category));
        Assert.Single(heap.AfterForcedGc);
        Assert.Empty(Source("allocs.pb.gz").AfterForcedGc);
        Assert.Empty(Source("goroutines-debug1.txt").Events);
        Assert.Contains("records no time", Assert.Single(Source("goroutines-debug1.txt").Warnings));
        var dump = Source("goroutines-debug2.txt");
        Assert.Equal((TimelineKinds.Dump, GoFixtures.ManifestInt("goroutines.debug2.total")), (Assert.Single(dump.Events).Kind, dump.GoroutineIds.Count));
        Assert.Empty(dump.Warnings);

        var e = Assert.Throws<AnalysisException>(() => Source("MANIFEST"));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains(GoFixtures.PathOf("MANIFEST"), e.Message);
        Assert.Contains(TimelineSources.Kinds, e.Message);
        var binary = GoFixtures.Scratch("timeline-garbage.bin", [0, 1, 2, 3, 4, 5]);
        Assert.Contains("the bytes 00 01 02", Assert.Throws<AnalysisException>(() => TimelineSources.FromFile(binary)).Message);
        Assert.Equal(AnalysisErrorKind.FileNotFound, Assert.Throws<AnalysisException>(() => TimelineSources.FromFile(GoFixtures.PathOf("missing.log"))).Kind);
    }

    [Fact]
    public void SameFileNameInTwoFolders_GetsTwoClocks_HeapProfilesMatchingBothAnchorNeither_AndAPathGivenTwiceIsReadOnce()
    {
        // the same program's log from another pod (here: the same lines, the worst case)
        string copy = Path.Combine(Path.GetDirectoryName(GoFixtures.Scratch("timeline-other-pod.txt", [0x41]))!, "pod-b");
        Directory.CreateDirectory(copy);
        File.Copy(GoFixtures.PathOf("gctrace.log"), Path.Combine(copy, "gctrace.log"), overwrite: true);
        string podB = Path.Combine(copy, "gctrace.log") + ": since runtime start";
        var other = TimelineSources.FromFile(Path.Combine(copy, "gctrace.log"));
        var timeline = TimelineBuilder.Build([Source("gctrace.log"), other, Source("heap-1.pb.gz"), Source("heap-2.pb.gz"), Source("gctrace.log")]);
        foreach (string w in timeline.Warnings)
            output.WriteLine(w);

        Assert.Equal(["gctrace.log: since runtime start", podB, "wall"], timeline.Clocks.Select(c => c.Id));
        Assert.Single(timeline.Warnings, w => w == $"{GoFixtures.PathOf("gctrace.log")} was given more than once: it is read once");
        Assert.Empty(timeline.Anchors); // the two logs are not matched with each other, and the profiles fit both
        Assert.Single(timeline.Warnings, w => w.StartsWith("gctrace.log: since runtime start stays on its own clock: the heap profiles match the forced GCs of 2 logs", StringComparison.Ordinal));
        Assert.Single(timeline.Warnings, w => w.StartsWith(podB + " stays on its own clock: the heap profiles match the forced GCs of 2 logs", StringComparison.Ordinal));
        Assert.Equal(2 * GoFixtures.ManifestInt("gctrace.cycles"), timeline.Events.Count(e => e.Kind == TimelineKinds.GC));

        // without the copy the profiles place the log
        Assert.Equal(AnchorQuality.Derived, Assert.Single(TimelineBuilder.Build([Source("gctrace.log"), Source("heap-1.pb.gz"), Source("heap-2.pb.gz")]).Anchors).Quality);
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z gc 1 @5.000s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P")]
    [InlineData("9999-12-31T23:59:59Z gc 1 @5.000s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P")]
    [InlineData("9999-12-31T23:59:59-14:00 gc 1 @5.000s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P")]
    [InlineData("gc 1 @99999999999999999999.000s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P")]
    [InlineData("gc 1 @0.006s 3%: 0.018+99999999999999999999+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P")]
    public void GcTraceWithTimesAtTheCalendarsEdges_BuildsWithoutThrowing_AndSaysWhatIsLeftOut(string line)
    {
        var source = GoTimelineSources.FromGcTrace(GcTrace.Parse(new StringReader(line), "edge.log"));
        var timeline = TimelineBuilder.Build([source], new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));
        output.WriteLine(string.Join(Environment.NewLine, timeline.Warnings.Concat(timeline.Events.Select(e => e.ToString()))));
        Assert.All(timeline.Events, e => Assert.Equal(e.Time is null, timeline.Warnings.Any(w => w.Contains("outside the calendar", StringComparison.Ordinal))));
        if (source.Events.Count == 0)
            Assert.Contains(timeline.Warnings, w => w.Contains("left out", StringComparison.Ordinal) || w.Contains("not gc lines skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void DamagedFiles_FailWithOneAnalysisException_NamingTheFile()
    {
        byte[] gz = File.ReadAllBytes(GoFixtures.PathOf("heap-1.pb.gz"));
        byte[] trace = File.ReadAllBytes(GoFixtures.PathOf("trace.out"));
        string[] files =
        [
            GoFixtures.Scratch("timeline-truncated.pb.gz", gz[..(gz.Length / 2)]),
            GoFixtures.Scratch("timeline-gzip-header.pb.gz", gz[..10]),
            GoFixtures.Scratch("timeline-empty.log", []),
            GoFixtures.Scratch("timeline-elf-exe", [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0]),
            GoFixtures.Scratch("timeline-text.log", "hello\nworld\n"u8.ToArray()),
        ];
        foreach (string f in files)
        {
            var e = Assert.Throws<AnalysisException>(() => TimelineSources.FromFile(f));
            output.WriteLine($"{Path.GetFileName(f)}: {e.Kind}: {e.Message}");
            Assert.Contains(f, e.Message);
        }

        // a truncated trace keeps what was read, with a warning
        var partial = TimelineSources.FromFile(GoFixtures.Scratch("timeline-truncated.out", trace[..(trace.Length / 2)]));
        Assert.NotEmpty(partial.Warnings);
    }
}
