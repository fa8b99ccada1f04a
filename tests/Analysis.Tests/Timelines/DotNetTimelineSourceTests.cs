using System.Buffers.Binary;
using System.Globalization;
using Analysis.Testing;
using Analysis.Tests.Traces;
using Analysis.Timelines;
using Analysis.Traces;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.EventPipe;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Timelines;

/// <summary>The .NET sources of a timeline (issue 16) on a trace and dumps of the test targets.</summary>
public class DotNetTimelineSourceTests(ITestOutputHelper output)
{
    private static readonly TraceReadOptions InProcess = new() { Isolation = EngineIsolation.InProcess };

    [Fact]
    public void TraceGc_WallTime_IsWithin50MsOfTheTimeTheTargetLoggedWhenItInducedIt()
    {
        var logged = TraceFacts.InducedGcTimes(TraceCaptures.FactsOutput);
        Assert.Equal(TraceFacts.InducedGen2Count, logged.Count);

        // through the worker (the default), as Get-Timeline reads it
        var source = DotNetTimelineSources.FromTrace(TraceCaptures.Facts);
        var anchor = Assert.Single(source.Anchors);
        Assert.Equal(AnchorQuality.Exact, anchor.Quality);
        Assert.Equal(TimelineAnchor.Wall, anchor.To);
        var induced = source.Events
            .Where(e => e.Kind == TimelineKinds.GC && e.Category!.StartsWith("Induced", StringComparison.Ordinal) && e.Detail.Contains(" gen2 ", StringComparison.Ordinal))
            .OrderBy(e => e.Time)
            .ToArray();
        Assert.Equal(TraceFacts.InducedGen2Count, induced.Length);
        for (int i = 0; i < induced.Length; i++)
        {
            var gc = induced[i];
            Assert.Equal(TimelineAnchor.Wall, gc.Clock);
            Assert.Equal(gc.Time!.Value - DateTimeOffset.UnixEpoch, gc.Offset);
            Assert.Contains("induced", gc.Detail, StringComparison.Ordinal);
            double differenceMs = (gc.Time.Value - logged[i]).TotalMilliseconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"induced GC {i + 1}: logged {logged[i]:HH:mm:ss.fffffff}, trace {gc.Time.Value:HH:mm:ss.fffffff}, trace − logged = {differenceMs:F3} ms ({gc.Detail})"));
            Assert.True(Math.Abs(differenceMs) <= 50, $"GC {i + 1}: {differenceMs:F3} ms from the logged time; {gc}");
        }
    }

    [Fact]
    public void TraceStart_IsTheHeaderSyncTime_InThisProcessAndThroughTheWorker()
    {
        // the oracle: the SYSTEMTIME in the file's header (bytes 53–68 in nettrace format 3–5), read here without TraceEvent
        byte[] head = File.ReadAllBytes(TraceCaptures.Facts)[53..69];
        ushort F(int i) => BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(2 * i));
        var expected = new DateTimeOffset(F(0), F(1), F(3), F(4), F(5), F(6), F(7), TimeSpan.Zero);

        var inProcess = TraceAnalysis.Read(TraceCaptures.Facts, InProcess);
        var worker = TraceAnalysis.Read(TraceCaptures.Facts, new TraceReadOptions { Isolation = EngineIsolation.Worker });
        Assert.Equal(EngineIsolation.Worker, worker.ReadBy);
        Assert.Equal(expected, inProcess.StartTimeUtc);
        Assert.Equal(expected, worker.StartTimeUtc);
        Assert.Equal(inProcess.Gcs.Select(g => (g.Number, g.StartMs, g.PauseStartMs, g.PauseMs)), worker.Gcs.Select(g => (g.Number, g.StartMs, g.PauseStartMs, g.PauseMs)));
        Assert.All(worker.Gcs, g => Assert.True(g.PauseStartMs > 0 && g.PauseStartMs <= g.StartMs && g.StartMs - g.PauseStartMs <= g.PauseMs, g.ToString()));
    }

    [Fact]
    public void TraceWindow_ContainsEveryEvent_AndEveryKindTheTraceHas()
    {
        var trace = TraceCaptures.FactsAnalysis;
        var source = DotNetTimelineSources.FromTrace(trace, TraceCaptures.Facts);
        var window = Assert.Single(source.Events, e => e.Kind == TimelineKinds.Trace);
        Assert.Equal(trace.StartTimeUtc, window.Time);
        var end = window.Time!.Value + window.Duration!.Value;
        Assert.All(source.Events, e =>
        {
            Assert.NotNull(e.Time);
            Assert.True(e.Time >= window.Time && e.Time + (e.Duration ?? TimeSpan.Zero) <= end + TimeSpan.FromMilliseconds(1), e.ToString());
        });

        Assert.Equal(trace.Gcs.Count, source.Events.Count(e => e.Kind == TimelineKinds.GC));
        Assert.Equal(trace.Gcs.Count, source.Events.Count(e => e.Kind == TimelineKinds.Pause));
        Assert.Equal(trace.Gcs.Count, source.GcMarks.Count);
        var before = source.Events.Where(e => e.Kind == TimelineKinds.Heap && e.Category == "before").Select(e => e.Value).ToArray();
        var after = source.Events.Where(e => e.Kind == TimelineKinds.Heap && e.Category == "after").Select(e => e.Value).ToArray();
        Assert.Equal(trace.Gcs.Select(g => (double?)Math.Round(g.HeapSizeBeforeMB * 1e6)).Order(), before.Order());
        Assert.Equal(trace.Gcs.Select(g => (double?)Math.Round(g.HeapSizeAfterMB * 1e6)).Order(), after.Order());
        var exceptions = source.Events.Where(e => e.Kind == TimelineKinds.Exception).ToArray();
        Assert.Equal(TraceFacts.ExceptionCount, exceptions.Count(e => e.Category == TraceFacts.ExceptionType));
        Assert.Equal(trace.ExceptionCount, exceptions.Length);
        var waits = source.Events.Where(e => e.Kind == TimelineKinds.Contention).ToArray();
        Assert.Equal(trace.ContentionCount, waits.Length);
        Assert.True(waits.Count(w => w.Duration >= TimeSpan.FromMilliseconds(TraceFacts.ContentionHoldMs / 2)) >= TraceFacts.ContentionRounds, string.Join("\n", waits));
    }

    [Fact]
    public void TraceWithADamagedHeaderTime_StaysOnItsOwnClock_WithAWarning()
    {
        var bytes = File.ReadAllBytes(TraceCaptures.Facts);
        BitConverter.TryWriteBytes(bytes.AsSpan(55, 2), (ushort)13); // SYSTEMTIME.wMonth = 13
        string path = TraceCaptures.Scratch("timeline-month-13.nettrace", bytes);
        var source = DotNetTimelineSources.FromTrace(path);

        Assert.Empty(source.Anchors);
        Assert.All(source.Events, e => Assert.Null(e.Time));
        string clock = Assert.Single(source.Clocks).Id;
        Assert.All(source.Events, e => Assert.Equal(clock, e.Clock));
        var good = DotNetTimelineSources.FromTrace(TraceCaptures.FactsAnalysis, TraceCaptures.Facts);
        var start = TraceCaptures.FactsAnalysis.StartTimeUtc!.Value;
        Assert.Equal(good.Events.Select(e => e.Time!.Value - start), source.Events.Select(e => e.Offset));
        Assert.Contains(source.Warnings, w => w.Contains("could not be placed on the wall clock", StringComparison.Ordinal));
    }

    [Fact]
    public void DumpMarker_OfAnElfCore_IsItsFileTime_WithinTheCapture_AndSaysSo()
    {
        var set = DumpSet.FactsLite;
        foreach (var kind in new[] { CapturedDump.CreateDumpWithHeap, CapturedDump.ClientMini })
        {
            var source = DotNetTimelineSources.FromDump(set[kind]);
            var marker = Assert.Single(source.Events, e => e.Kind == TimelineKinds.Dump);
            Assert.Equal("ELF core", marker.Category);
            Assert.Equal(TimelineAnchor.Wall, marker.Clock);
            output.WriteLine($"{kind}: captured {set.CapturedFrom:HH:mm:ss.fff}–{set.CapturedUntil:HH:mm:ss.fff}, marker {marker.Time:HH:mm:ss.fff}");
            Assert.InRange(marker.Time!.Value, set.CapturedFrom, set.CapturedUntil);
            var anchor = Assert.Single(source.Anchors);
            Assert.Equal(AnchorQuality.Derived, anchor.Quality);
            Assert.True(anchor.Uncertainty >= TimeSpan.FromSeconds(1), anchor.ToString());
            var warning = Assert.Single(source.Warnings);
            Assert.Contains("records no wall-clock time", warning, StringComparison.Ordinal);
            Assert.Contains("last write time", warning, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DumpMarker_OfAMinidump_IsItsHeaderTimestamp_Exact()
    {
        // a minidump's header (MINIDUMP_HEADER: "MDMP", version, 0 streams, directory at 32, checksum, TimeDateStamp, flags)
        var header = new byte[32];
        "MDMP"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 0xa793);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), 32);
        var taken = new DateTimeOffset(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), (uint)taken.ToUnixTimeSeconds());
        string path = TraceCaptures.Scratch("header-only.dmp", header);

        var source = DotNetTimelineSources.FromDump(path);
        var marker = Assert.Single(source.Events); // no thread list in a header-only minidump: no thread count
        Assert.Equal(taken, marker.Time);
        Assert.Equal("minidump", marker.Category);
        Assert.Equal(AnchorQuality.Exact, Assert.Single(source.Anchors).Quality);
        Assert.Empty(source.Warnings);
    }

    [Fact]
    public void NotADump_OrNoTrace_IsOneAnalysisExceptionNamingTheFile()
    {
        var notDump = Assert.Throws<AnalysisException>(() => DotNetTimelineSources.FromDump(TraceCaptures.Facts));
        Assert.Equal(TraceCaptures.Facts, notDump.Path);
        Assert.Contains(TraceCaptures.Facts, notDump.Message, StringComparison.Ordinal);

        string missing = Path.Combine(TraceCaptures.Folder, "missing.nettrace");
        var noTrace = Assert.Throws<AnalysisException>(() => DotNetTimelineSources.FromTrace(missing));
        Assert.Equal(AnalysisErrorKind.FileNotFound, noTrace.Kind);
        Assert.Contains(missing, noTrace.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void DumpThreadCount_OfAnElfCore_IsReadelfsThreadNotes_AtTheDumpsTime_OnTheThreadsLane()
    {
        Skip.IfNot(File.Exists("/usr/bin/readelf"), "binutils' readelf is not installed at /usr/bin/readelf (apt-get install binutils)");
        var set = DumpSet.FactsLite;
        foreach (var kind in new[] { CapturedDump.CreateDumpWithHeap, CapturedDump.ClientMini })
        {
            // the oracle: binutils counts the core's NT_PRSTATUS notes (one per thread)
            var readelf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/readelf", ["-n", "-W", set[kind]]) { RedirectStandardOutput = true })!;
            int expected = readelf.StandardOutput.ReadToEnd().Split('\n').Count(l => l.Contains("NT_PRSTATUS", StringComparison.Ordinal));
            readelf.WaitForExit();
            Assert.True(expected > 1, $"readelf found {expected} threads in {set[kind]}");

            var source = DotNetTimelineSources.FromDump(set[kind]);
            var threads = Assert.Single(source.Events, e => e.Kind == TimelineKinds.Goroutines);
            output.WriteLine($"{kind}: {threads}");
            Assert.Equal((expected, "threads", "threads"), ((int)threads.Value!.Value, threads.Unit, threads.Category));
            Assert.Equal(source.Events.Single(e => e.Kind == TimelineKinds.Dump).Time, threads.Time);
            Assert.Contains("NT_PRSTATUS", threads.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DumpThreadCount_OfAMinidump_IsItsThreadListStreamsCount()
    {
        // a minidump with a stream directory of one entry, ThreadListStream (3), whose NumberOfThreads is 7
        var bytes = new byte[32 + 12 + 4];
        "MDMP"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 0xa793);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), 32);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), (uint)new DateTimeOffset(2026, 3, 14, 15, 9, 26, TimeSpan.Zero).ToUnixTimeSeconds());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(36), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), 44);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(44), 7);
        var source = DotNetTimelineSources.FromDump(TraceCaptures.Scratch("thread-list.dmp", bytes));
        var threads = Assert.Single(source.Events, e => e.Kind == TimelineKinds.Goroutines);
        Assert.Equal(7, threads.Value);
        Assert.Contains("ThreadListStream", threads.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TraceThreadCount_IsTheSampledThreadsAliveAtEachChange_AndRisesAndFallsForEachLedgerHolder()
    {
        var trace = TraceCaptures.FactsAnalysis;
        var counts = DotNetTimelineSources.FromTrace(trace, TraceCaptures.Facts).Events.Where(e => e.Kind == TimelineKinds.Goroutines).ToList();
        Assert.NotEmpty(counts);
        Assert.All(counts, e => Assert.Equal(("threads", "threads"), (e.Category, e.Unit)));

        // the oracle: the trace's ThreadSample events read here with TraceEvent, each thread's first and last sample
        var spans = new Dictionary<int, (double First, double Last)>();
        using (var events = new EventPipeEventSource(TraceCaptures.Facts))
        {
            var sampler = new SampleProfilerTraceEventParser(events);
            sampler.ThreadSample += d =>
            {
                if (d.Type == ClrThreadSampleType.Error)
                    return;
                double at = d.TimeStampRelativeMSec;
                spans[d.ThreadID] = spans.TryGetValue(d.ThreadID, out var s) ? (Math.Min(s.First, at), Math.Max(s.Last, at)) : (at, at);
            };
            events.Process();
        }

        double from = spans.Values.Min(s => s.First), until = spans.Values.Max(s => s.Last);
        var start = trace.StartTimeUtc!.Value;
        foreach (var e in counts)
        {
            double t = (e.Time!.Value - start).TotalMilliseconds;
            // alive at t: first sampled by then, and sampled after it (or to the sampling's end: not seen to end)
            int alive = spans.Values.Count(s => s.First <= Math.Max(t, from + 3) + 0.001 && (s.Last > t + 0.001 || s.Last >= until - 3));
            Assert.True(alive == (int)e.Value!.Value, $"{e}: the samples show {alive} threads alive at {t:F3} ms");
        }

        Assert.Equal(spans.Count(s => s.Value.Last >= until - 3), (int)counts[^1].Value!.Value);
        // read in this process, the same counts as through the worker (the model carries the threads' spans)
        var inProcess = DotNetTimelineSources.FromTrace(TraceAnalysis.Read(TraceCaptures.Facts, InProcess), TraceCaptures.Facts).Events.Where(e => e.Kind == TimelineKinds.Goroutines);
        Assert.Equal(counts.Select(e => (e.Time, e.Value)), inProcess.Select(e => (e.Time, e.Value)));
        // the target starts a "ledger-holder" thread per contention round that holds the lock ContentionHoldMs, then
        // ends: each is a thread seen for about that long, first and last sample inside the trace
        var holders = spans.Values.Where(s => s.First > from + 3 && s.Last < until - 3 && s.Last - s.First >= TraceFacts.ContentionHoldMs / 2).ToList();
        output.WriteLine($"{spans.Count} threads sampled, {holders.Count} started and ended inside the trace (≥ {TraceFacts.ContentionHoldMs / 2} ms): {string.Join(", ", holders.Select(h => $"{h.Last - h.First:F0} ms"))}; lane: {string.Join(" ", counts.Select(c => c.Value))}");
        Assert.True(holders.Count >= TraceFacts.ContentionRounds, $"{holders.Count} threads lived inside the trace");
        Assert.True(counts.Count(c => c.Detail.Contains("(it ended)", StringComparison.Ordinal)) >= TraceFacts.ContentionRounds);
    }
}
