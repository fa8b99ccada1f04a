using System.Buffers.Binary;
using System.Globalization;
using Analysis.Dumps;
using Analysis.Traces;

namespace Analysis.Timelines;

/// <summary>
/// The .NET artifacts' contributions to a timeline: a .nettrace (its window, GCs, pauses, heap sizes, exceptions, lock
/// contention), placed on the wall clock by its header's sync time; a dump (a marker), placed by a minidump's header
/// timestamp or, for an ELF or Mach-O core that records no wall time, by the file's last write time.
/// </summary>
public static class DotNetTimelineSources
{
    /// <summary>The .nettrace header keeps the sync time's system time to the millisecond (SYSTEMTIME): the anchor's half-width.</summary>
    public static readonly TimeSpan TraceAnchorUncertainty = TimeSpan.FromMilliseconds(1);

    /// <summary>A minidump's header timestamp counts whole seconds.</summary>
    public static readonly TimeSpan MinidumpAnchorUncertainty = TimeSpan.FromSeconds(1);

    /// <summary>The writing speed assumed when the file time stands for a core's moment: the process was stopped when writing began, up to length ÷ this earlier.</summary>
    public const double AssumedDumpWriteBytesPerSecond = 50e6;

    /// <summary>
    /// Reads a trace (<see cref="TraceAnalysis.Read(string, TraceReadOptions, IProgress{WorkProgress}?, CancellationToken)"/>)
    /// and returns its events. Throws <see cref="AnalysisException"/> naming the file when it cannot be read.
    /// </summary>
    public static TimelineSource FromTrace(string path, TraceReadOptions? options = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        return FromTrace(TraceAnalysis.Read(full, options ?? TraceReadOptions.Default, progress, cancellationToken), full);
    }

    /// <summary>
    /// The events of a trace already read (a session's analysis): its window (<see cref="TimelineKinds.Trace"/>), each GC
    /// (<see cref="TimelineKinds.GC"/>, Category the reason), its pause, the heap size before and after it
    /// (<see cref="TimelineKinds.Heap"/>, bytes, Category "before"/"after"), each exception (Category the type) and lock wait.
    /// On the wall clock when the header's start time is known (an exact anchor, ± 1 ms), else on the trace's own clock
    /// with a warning.
    /// </summary>
    public static TimelineSource FromTrace(TraceAnalysis analysis, string path)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string name = Path.GetFileName(path);
        string clockId = $"{name}: since trace start";
        var clock = new TimelineClock(clockId, name, "the trace session's start (the .nettrace header's sync time)");
        var anchors = new List<TimelineAnchor>();
        var warnings = new List<string>();
        DateTimeOffset? start = analysis.StartTimeUtc;
        if (start is { } s)
        {
            anchors.Add(TimelineAnchor.ToWall(clockId, s, TraceAnchorUncertainty, AnchorQuality.Exact, name,
                "the .nettrace header's sync time: the system time (UTC, to the millisecond) and the timestamp counter read together when the session started"));
        }
        else
        {
            warnings.Add($"{name} could not be placed on the wall clock: its header's start time is damaged or no event was read. Its events stay on its own clock (time since the trace started).");
        }

        var events = new List<TimelineEvent>();
        var marks = new List<(string, TimeSpan, int?, bool?)>();

        TimelineEvent At(double ms, string kind, string detail)
        {
            var offset = Milliseconds(ms);
            return start is { } t
                ? new TimelineEvent { Time = t + offset, Offset = t + offset - DateTimeOffset.UnixEpoch, Clock = TimelineAnchor.Wall, Source = name, Kind = kind, Detail = detail }
                : new TimelineEvent { Offset = offset, Clock = clockId, Source = name, Kind = kind, Detail = detail };
        }

        events.Add(At(0, TimelineKinds.Trace, string.Create(CultureInfo.InvariantCulture,
            $"trace of process {analysis.ProcessId}{(analysis.RuntimeVersion is { } v ? $" (.NET {v})" : "")}: {analysis.DurationMs / 1000:F3} s, {analysis.EventCount:N0} events{(analysis.EventsLost > 0 ? $", {analysis.EventsLost:N0} lost" : "")}{(analysis.IsTruncated ? ", truncated" : "")}"))
            with { Duration = Milliseconds(analysis.DurationMs) });

        foreach (var gc in analysis.Gcs)
        {
            string induced = gc.IsInduced ? ", induced" : "";
            var cycle = At(gc.StartMs, TimelineKinds.GC, string.Create(CultureInfo.InvariantCulture,
                $"GC #{gc.Number} gen{gc.Generation} {gc.Type}, reason {gc.Reason}{induced}: {gc.DurationMs:F2} ms, pause {gc.PauseMs:F2} ms, heap {gc.HeapSizeBeforeMB:F1} → {gc.HeapSizeAfterMB:F1} MB"))
                with { Duration = Milliseconds(gc.DurationMs), Category = gc.Reason };
            events.Add(cycle);
            marks.Add((cycle.Clock, cycle.Offset, gc.Number, gc.IsInduced));

            // the pause starts when suspension begins, before the GC's start event; TraceEvent gives 0 when it saw none
            double pauseStart = gc.PauseStartMs > 0 && gc.PauseStartMs <= gc.StartMs ? gc.PauseStartMs : gc.StartMs;
            events.Add(At(pauseStart, TimelineKinds.Pause, string.Create(CultureInfo.InvariantCulture,
                $"GC #{gc.Number} gen{gc.Generation}{induced}: threads paused {gc.PauseMs:F2} ms (suspending them {gc.SuspendMs:F2} ms)"))
                with { Duration = Milliseconds(gc.PauseMs), Category = gc.Reason });

            events.Add(At(gc.StartMs, TimelineKinds.Heap, string.Create(CultureInfo.InvariantCulture, $"before GC #{gc.Number}: {gc.HeapSizeBeforeMB:F2} MB"))
                with { Value = Math.Round(gc.HeapSizeBeforeMB * 1e6), Unit = "bytes", Category = "before" });
            events.Add(At(gc.StartMs + gc.DurationMs, TimelineKinds.Heap, string.Create(CultureInfo.InvariantCulture, $"after GC #{gc.Number}: {gc.HeapSizeAfterMB:F2} MB (promoted {gc.PromotedMB:F2} MB)"))
                with { Value = Math.Round(gc.HeapSizeAfterMB * 1e6), Unit = "bytes", Category = "after" });
        }

        foreach (var (timeMs, thread, type, message) in analysis.EnumerateExceptionTimes())
        {
            events.Add(At(timeMs, TimelineKinds.Exception, string.Create(CultureInfo.InvariantCulture,
                $"{type}{(string.IsNullOrEmpty(message) ? "" : $": {message}")} (thread {thread})")) with { Category = type });
        }

        foreach (var (timeMs, thread, durationMs, native) in analysis.EnumerateContentionTimes())
        {
            events.Add(At(timeMs, TimelineKinds.Contention, string.Create(CultureInfo.InvariantCulture,
                $"thread {thread} waited {durationMs:F2} ms for a {(native ? "native" : "managed")} lock"))
                with { Duration = durationMs > 0 ? Milliseconds(durationMs) : null, Category = native ? "native" : "managed" });
        }

        events.AddRange(ThreadCounts(analysis, At));
        warnings.AddRange(analysis.Warnings.Select(w => $"{name}: {w}"));
        return new TimelineSource
        {
            Path = path,
            Clocks = [clock],
            Events = events.OrderBy(e => e.Offset).ToArray(),
            Anchors = anchors,
            GcMarks = marks,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// A dump's marker (<see cref="TimelineKinds.Dump"/>) on the wall clock: a Windows minidump's header timestamp (an
    /// exact anchor, whole seconds); for an ELF core (createdump, dotnet-dump) or a macOS core, which record no wall time,
    /// the file's last write time, a derived anchor with a warning that says so. Throws <see cref="AnalysisException"/>
    /// naming the file when it is not a dump.
    /// </summary>
    public static TimelineSource FromDump(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        var format = DumpFile.Validate(full);
        string name = Path.GetFileName(full);
        var info = InputFile.Info(full);
        long length = info.Length;
        var warnings = new List<string>();
        TimelineAnchor anchor;
        string clockId;
        string how;

        uint stamp = format == DumpFormat.Minidump ? DumpFile.MinidumpTimeStamp(full) : 0;
        if (stamp != 0)
        {
            clockId = $"{name}: minidump header";
            how = "the minidump header's TimeDateStamp (UTC, whole seconds)";
            anchor = TimelineAnchor.ToWall(clockId, DateTimeOffset.FromUnixTimeSeconds(stamp), MinidumpAnchorUncertainty, AnchorQuality.Exact, name, how);
        }
        else
        {
            clockId = $"{name}: file time";
            var written = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            var writing = TimeSpan.FromSeconds(length / AssumedDumpWriteBytesPerSecond);
            var uncertainty = TimeSpan.FromSeconds(1) + writing;
            string kind = format switch
            {
                DumpFormat.ElfCore => "an ELF core",
                DumpFormat.MachOCore => "a macOS core",
                _ => "a minidump whose header timestamp is 0",
            };
            how = string.Create(CultureInfo.InvariantCulture,
                $"the file's last write time: {kind} records no wall-clock time; writing ended then, and the process was stopped when it began (up to {writing.TotalSeconds:F1} s earlier at {AssumedDumpWriteBytesPerSecond / 1e6:F0} MB/s)");
            anchor = TimelineAnchor.ToWall(clockId, written, uncertainty, AnchorQuality.Derived, name, how);
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name} is {kind}, which records no wall-clock time: it is placed at the file's last write time ({written:yyyy-MM-dd HH:mm:ss.fff} UTC) ± {uncertainty.TotalSeconds:F1} s. That is when writing it ended, or when it was last copied without keeping its times; the time the capture recorded, when known, is better."));
        }

        var at = DateTimeOffset.UnixEpoch + anchor.Shift;
        var marker = new TimelineEvent
        {
            Time = at,
            Offset = anchor.Shift,
            Clock = TimelineAnchor.Wall,
            Source = name,
            Kind = TimelineKinds.Dump,
            Category = format switch
            {
                DumpFormat.Minidump => "minidump",
                DumpFormat.MachOCore => "macOS core",
                _ => "ELF core",
            },
            Detail = string.Create(CultureInfo.InvariantCulture, $"dump taken: {name} ({Bytes.Format(length)}), time from {how} ± {anchor.Uncertainty.TotalSeconds:F1} s"),
        };

        var events = new List<TimelineEvent> { marker };
        if (DumpFile.ThreadCount(full, format) is { } threads)
        {
            events.Add(marker with
            {
                Kind = TimelineKinds.Goroutines, Category = "threads", Value = threads.Count, Unit = "threads",
                Detail = $"{threads.Count:N0} threads in the process when {name} was written ({threads.From})",
            });
        }

        return new TimelineSource
        {
            Path = full,
            Clocks = [new TimelineClock(clockId, name, how)],
            Events = events,
            Anchors = [anchor],
            Warnings = warnings,
        };
    }

    /// <summary>How close (ms) to the sampling's first or last sample a thread's first or last sample says nothing of its start or end: a few of the sample profiler's 1 ms periods.</summary>
    private const double SamplingEdgeMs = 3;

    /// <summary>
    /// The managed thread count over the trace (<see cref="TimelineKinds.Goroutines"/>, Category "threads"): the threads
    /// the sample profiler saw, each counted from its first sample to its last (EventPipe samples each thread with
    /// managed code on its stack, running or waiting, about every millisecond; threads only in native waits are not
    /// counted). A thread seen from the sampling's start was there before; one seen to its end was still there. One
    /// event per change; none when the trace has no CPU samples.
    /// </summary>
    private static IEnumerable<TimelineEvent> ThreadCounts(TraceAnalysis analysis, Func<double, string, string, TimelineEvent> at)
    {
        var spans = analysis.EnumerateThreadSpans().ToList();
        if (spans.Count == 0)
            yield break;
        double from = spans.Min(t => t.FirstMs), until = spans.Max(t => t.LastMs);
        var changes = new List<(double Ms, int Delta, int Thread)>();
        foreach (var (thread, first, last) in spans)
        {
            changes.Add((first <= from + SamplingEdgeMs ? from : first, +1, thread));
            if (last < until - SamplingEdgeMs)
                changes.Add((last, -1, thread));
        }

        int count = 0;
        foreach (var group in changes.GroupBy(c => c.Ms).OrderBy(g => g.Key))
        {
            count += group.Sum(c => c.Delta);
            var started = group.Where(c => c.Delta > 0).Select(c => c.Thread).ToList();
            var ended = group.Where(c => c.Delta < 0).Select(c => c.Thread).ToList();
            string what = group.Key == from ? $"{started.Count} threads sampled from the start"
                : string.Join("; ", new[]
                {
                    started.Count == 0 ? null : $"first sample of thread {string.Join(", ", started)}",
                    ended.Count == 0 ? null : $"last sample of thread {string.Join(", ", ended)} (it ended)",
                }.Where(x => x is not null));
            yield return at(group.Key, TimelineKinds.Goroutines, $"{count} threads with managed code (the sample profiler's): {what}") with
            {
                Value = count, Unit = "threads", Category = "threads",
            };
        }
    }

    private static TimeSpan Milliseconds(double ms) => TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));
}
