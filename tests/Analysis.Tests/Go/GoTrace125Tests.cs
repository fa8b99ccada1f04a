using Analysis.Go;
using Analysis.Timelines;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>
/// Go 1.25 traces (a sync batch with a clock snapshot per generation), from the Go team's text form turned into bytes by
/// <see cref="GoTraceTextFormat"/>. Every expected value is computed here from the text (batch times, time deltas,
/// Frequency, ClockSnapshot mono/sec/nsec), never typed in.
/// </summary>
public class GoTrace125Tests
{
    private static string PathOf(string name) => GoFixtures.PathOf(Path.Combine("tracev2", name));

    /// <summary>What the text says, walked as the format defines it: a batch's events' time deltas add to its time; ns = ticks × 1e9 / the generation's frequency.</summary>
    private sealed class Expected
    {
        public Dictionary<ulong, ulong> Frequency { get; } = new();
        public List<(ulong Gen, ulong Ticks, ulong Mono, ulong Sec, ulong Nsec)> Snapshots { get; } = new();
        public List<(ulong Gen, ulong Ticks, string Name)> Events { get; } = new();

        public long Ns(ulong gen, ulong ticks) => (long)((UInt128)ticks * 1_000_000_000UL / Frequency[gen]);

        public (ulong Gen, ulong Ticks, ulong Mono, ulong Sec, ulong Nsec) SnapshotOf(ulong gen) => Snapshots.Single(s => s.Gen == gen);

        /// <summary>Wall time (Unix ns) of an event: its generation's snapshot's sec + nsec, plus the event's time after the snapshot's.</summary>
        public long Wall(ulong gen, ulong ticks)
        {
            var s = SnapshotOf(gen);
            return (long)s.Sec * 1_000_000_000 + (long)s.Nsec + (Ns(gen, ticks) - Ns(gen, s.Ticks));
        }

        public static Expected Of(string text)
        {
            var result = new Expected();
            ulong gen = 0, ts = 0;
            foreach (var e in GoTraceTextFormat.Parse(text).Events)
            {
                if (e.Name == "EventBatch")
                {
                    (gen, ts) = (e["gen"], e["time"]);
                    continue;
                }

                if (e.Name == "Frequency")
                    result.Frequency[gen] = e["freq"];
                if (!e.Timed)
                    continue;
                ts += e["dt"];
                if (e.Name == "ClockSnapshot")
                    result.Snapshots.Add((gen, ts, e["mono"], e["sec"], e["nsec"]));
                else
                    result.Events.Add((gen, ts, e.Name));
            }

            return result;
        }
    }

    private static (GoExecutionTrace Trace, Expected Expected) Load(string name)
    {
        string text = File.ReadAllText(PathOf(name));
        return (GoExecutionTrace.Parse(GoTraceTextFormat.ToBinary(text), PathOf(name)), Expected.Of(text));
    }

    [Fact]
    public void GoTeamSyncTrace_EveryGenerationsClockSnapshotIsDecoded()
    {
        var (trace, expected) = Load("go125-sync.test");
        Assert.Equal("1.25", trace.GoVersion);
        Assert.Equal(3, expected.Snapshots.Count); // the text: one sync batch per generation
        Assert.Equal(expected.Snapshots.Count, trace.ClockSnapshots.Count);
        foreach (var (s, t) in expected.Snapshots.Zip(trace.ClockSnapshots))
        {
            Assert.Equal((int)s.Gen, t.Generation);
            Assert.Equal(expected.Ns(s.Gen, s.Ticks), t.TraceNs);
            Assert.Equal(s.Mono, t.MonotonicNs);
            Assert.Equal((long)s.Sec, t.WallSeconds);
            Assert.Equal((long)s.Nsec, t.WallNanoseconds);
            Assert.Equal(expected.Frequency[s.Gen], t.TicksPerSecond);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds((long)s.Sec).AddTicks((long)s.Nsec / 100), t.Wall);
        }

        Assert.Equal(expected.Events.Count, trace.EventCount); // the snapshots are not counted as the program's events
        Assert.Empty(trace.Warnings);
    }

    [Fact]
    public void GoTeamSyncTrace_EventsWallTime_IsTheirGenerationsSnapshotPlusTheirTimeAfterIt()
    {
        var (trace, expected) = Load("go125-sync.test");
        var ns = expected.Events.Select(e => expected.Ns(e.Gen, e.Ticks)).ToList();
        Assert.Equal(ns.Min(), trace.FirstEventNs);
        Assert.Equal(ns.Max(), trace.LastEventNs);
        Assert.Equal(trace.LastEventNs - trace.FirstEventNs, (long)Math.Round(trace.DurationMs * 1e6));
        // one event in generation 1 (frequency 1 GHz), one in generation 3 (500 MHz): each under its generation's frequency
        Assert.Equal([1UL, 3UL], expected.Events.Select(e => e.Gen));
        foreach (var e in expected.Events)
            Assert.Equal(expected.Wall(e.Gen, e.Ticks), trace.WallUnixNs(expected.Ns(e.Gen, e.Ticks)));
    }

    [Fact]
    public void GoTeamSyncTrace_Timeline_HasAnExactAnchorThatPlacesTheTraceOnTheWallClock()
    {
        var (trace, expected) = Load("go125-sync.test");
        var source = GoTimelineSources.FromExecutionTrace(trace);
        var timeline = TimelineBuilder.Build([source]);
        string clock = "go125-sync.test: since trace start";
        var anchor = Assert.Single(timeline.Anchors, a => a.From == clock && a.To == TimelineAnchor.Wall);
        Assert.Equal(AnchorQuality.Exact, anchor.Quality);
        // the trace's zero (its first event, in generation 1) by generation 1's snapshot
        var first = expected.Events[0];
        long zero = expected.Wall(first.Gen, first.Ticks);
        Assert.Equal(zero / 100, anchor.Shift.Ticks);
        var window = Assert.Single(timeline.Events, e => e.Kind == TimelineKinds.Trace);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(zero / 100), window.Time);
        Assert.InRange(anchor.Uncertainty, TimeSpan.FromTicks(1), TimeSpan.FromMicroseconds(2));
        // the monotonic clock, exactly: the snapshot's mono at its trace time
        var mono = Assert.Single(timeline.Anchors, a => a.From == clock && a.To == "go125-sync.test: monotonic clock");
        var s1 = expected.SnapshotOf(first.Gen);
        Assert.Equal(((long)s1.Mono - (expected.Ns(s1.Gen, s1.Ticks) - expected.Ns(first.Gen, first.Ticks))) / 100, mono.Shift.Ticks);
        Assert.DoesNotContain(timeline.Warnings, w => w.Contains("stays on its own clock", StringComparison.Ordinal));
        // the Go team's test advances the wall clock 1 s a generation and the trace clock a few ns: the snapshots disagree, and that is said
        Assert.Single(timeline.Warnings, w => w.StartsWith("go125-sync.test: the clock snapshots disagree: generation ", StringComparison.Ordinal));
    }

    [Fact]
    public void ConsistentTrace_PlacesTheGcTraceThroughItsGcGapsOnTheSnapshotsWallClock()
    {
        var (trace, expected) = Load("go125-gcs.test");
        Assert.Equal(3, trace.Gcs.Count);
        var timeline = TimelineBuilder.Build([GoTimelineSources.FromExecutionTrace(trace), TimelineSources.FromFile(PathOf("go125-gcs-gctrace.log"))]);
        Assert.Empty(timeline.Warnings); // every clock placed, the two snapshots agree
        Assert.Contains(timeline.Anchors, a => a.From == "go125-gcs.test: since trace start" && a.To == TimelineAnchor.Wall && a.Quality == AnchorQuality.Exact);
        var gap = Assert.Single(timeline.Anchors, a => a.Quality == AnchorQuality.Derived);
        Assert.Contains("GC-gap pattern", gap.How, StringComparison.Ordinal);

        // the trace's GCs at the wall time the snapshots give them (the text's GCBegin events)
        var begins = expected.Events.Where(e => e.Name == "GCBegin").ToList();
        var traceGcs = timeline.Events.Where(e => e.Kind == TimelineKinds.GC && e.Source == "go125-gcs.test").OrderBy(e => e.Time).ToList();
        Assert.Equal(begins.Count, traceGcs.Count);
        foreach (var (b, e) in begins.Zip(traceGcs))
        {
            var want = DateTimeOffset.UnixEpoch.AddTicks(expected.Wall(b.Gen, b.Ticks) / 100);
            Assert.InRange((e.Time!.Value - want).Duration(), TimeSpan.Zero, TimeSpan.FromTicks(1));
        }

        // and the gctrace's gc 3–5 (the same GCs) there too, through the gap match: within its ms rounding
        var logGcs = timeline.Events.Where(e => e.Kind == TimelineKinds.GC && e.Source == "go125-gcs-gctrace.log").OrderBy(e => e.Time).ToList();
        foreach (var (log, tr) in logGcs.Skip(2).Take(3).Zip(traceGcs))
            Assert.InRange((log.Time!.Value - tr.Time!.Value).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(0.5));
    }

    [Fact]
    public void DamagedGo125Traces_FailWithAnAnalysisException_OrDecodeAndPlace_NeverAnythingElse()
    {
        // every truncation and, at every byte, a few replacement values (0, 0x7f, 0x80, 0xff, and the sync batch's and
        // snapshot's type bytes): the decoder and the timeline either succeed or throw our one exception type
        byte[] good = GoTraceTextFormat.ToBinary(File.ReadAllText(PathOf("go125-gcs.test")));
        var inputs = Enumerable.Range(16, good.Length - 16).Select(n => good[..n]).ToList();
        foreach (int at in Enumerable.Range(16, good.Length - 16))
        {
            foreach (byte v in new byte[] { 0, 0x7f, 0x80, 0xff, 50, 51, 8 })
            {
                byte[] bad = (byte[])good.Clone();
                bad[at] = v;
                inputs.Add(bad);
            }
        }

        int decoded = 0;
        foreach (var input in inputs)
        {
            try
            {
                var trace = GoExecutionTrace.Parse(input, "damaged.trace");
                var timeline = TimelineBuilder.Build([GoTimelineSources.FromExecutionTrace(trace)]);
                Assert.NotNull(timeline.Events);
                decoded++;
            }
            catch (AnalysisException)
            {
            }
        }

        Assert.InRange(decoded, 1, inputs.Count);
    }

    [Fact]
    public void NewerFormat_IsRejectedNamingTheVersionsRead()
    {
        var bytes = "go 1.26 trace\0\0\0"u8.ToArray().Concat(new byte[16]).ToArray();
        var e = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Parse(bytes, "new.trace"));
        Assert.Contains("Go 1.26 execution trace", e.Message, StringComparison.Ordinal);
        Assert.Contains("Go 1.22 to 1.25", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncBatch_InAGo123Trace_IsAnUnknownEventType()
    {
        // the same sync batch under a 1.23 header: event type 50 did not exist before Go 1.25
        string text = File.ReadAllText(PathOf("go125-sync.test")).Replace("Trace Go1.25", "Trace Go1.23", StringComparison.Ordinal);
        var e = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Parse(GoTraceTextFormat.ToBinary(text), "old.trace"));
        Assert.Contains("unknown event type 50", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExperimentalEvents_KnownOnesMoveTheClock_AnUnknownOneSkipsTheRestOfItsBatch()
    {
        // HeapObjectAlloc (AllocFree experiment, type 132) between two ProcStatus events; then an event of type 140,
        // which no table knows, written raw before a third ProcStatus that must not be read
        string text = """
            Trace Go1.25
            EventBatch gen=1 m=18446744073709551615 time=99 size=0
            Sync
            Frequency freq=15625000
            ClockSnapshot dt=1 mono=6400 sec=1740823200 nsec=0
            EventBatch gen=1 m=1 time=200 size=0
            ProcStatus dt=1 p=0 pstatus=1
            HeapObjectAlloc dt=1000 id=7 type=3
            ProcStatus dt=5 p=0 pstatus=1
            Span dt=1 id=1 npages_value=1 kindclass=1
            """;
        var bytes = GoTraceTextFormat.ToBinary(text, fixSizes: true).ToList();
        // append the unknown event inside the last batch: [140, 1, 2] then a ProcStatus [13, 100, 0, 1], and grow the
        // batch's size (its last header byte, before its four events)
        var events = GoTraceTextFormat.Parse(text).Events;
        int size = events.TakeLast(4).Sum(GoTraceTextFormat.EncodedSize);
        int sizeAt = bytes.Count - size - 1;
        Assert.Equal(size, bytes[sizeAt]);
        bytes.AddRange(new byte[] { 140, 1, 2, 13, 100, 0, 1 });
        bytes[sizeAt] = (byte)(size + 7);
        var trace = GoExecutionTrace.Parse([.. bytes], "exp.trace");
        var expected = Expected.Of(text);
        Assert.Equal(2, trace.EventCount); // the two ProcStatus before the unknown event; not the experimental ones
        var procs = expected.Events.Where(e => e.Name == "ProcStatus").ToList();
        Assert.Equal(expected.Ns(1, procs[1].Ticks) - expected.Ns(1, procs[0].Ticks), trace.LastEventNs - trace.FirstEventNs); // 1005 ticks: the experimental event's delta counted
        Assert.Single(trace.Warnings, w => w.Contains("experimental event of unknown type 140", StringComparison.Ordinal));
    }
}
