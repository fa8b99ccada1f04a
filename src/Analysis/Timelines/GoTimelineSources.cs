using System.Globalization;
using Analysis.Go;

namespace Analysis.Timelines;

/// <summary>
/// The Go artifacts as timeline sources: a gctrace log and a Go core on the runtime's clock (since runtime start), an
/// execution trace on its own (since its first event), pprof profiles on the wall clock, a goroutine dump with no time.
/// Each gives its events, the anchors it knows by itself and the marks the builder matches across artifacts.
/// </summary>
public static class GoTimelineSources
{
    private const double MB = 1 << 20;

    /// <summary>
    /// A gctrace log: per cycle a GC (start @x s, Duration the wall-clock phases), a Pause per stop-the-world phase, the
    /// live heap and goal at its end, the GC CPU share, the cycles as GC marks; a derived anchor to the wall clock when
    /// its lines carry a container or journald timestamp.
    /// </summary>
    public static TimelineSource FromGcTrace(GcTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        string file = Name(trace.Path, "gctrace");
        string clock = $"{file}: since runtime start";
        var events = new List<TimelineEvent>();
        var marks = new List<(string, TimeSpan, int?, bool?)>();
        var forcedEnds = new List<(string, TimeSpan, int)>();
        int absurd = 0;
        foreach (var c in trace.Cycles)
        {
            if (!InRange(c.AtSeconds * 1000) || !InRange(c.ClockPhasesMs.Sum()))
            {
                absurd++;
                continue;
            }

            var start = CycleStart(c);
            var length = TimeSpan.FromMilliseconds(c.ClockPhasesMs.Sum());
            var end = start + length;
            string detail = Detail(c);
            events.Add(new TimelineEvent
            {
                Clock = clock, Source = file, Kind = TimelineKinds.GC, Offset = start, Duration = length,
                Category = c.Forced ? "forced" : "automatic", Detail = detail,
            });
            var phases = c.ClockPhasesMs;
            int[] stw = phases.Count >= 5 ? [0, 2, 4] : phases.Count >= 3 ? [0, 2] : [];
            foreach (int i in stw)
            {
                var at = start + TimeSpan.FromMilliseconds(phases.Take(i).Sum());
                events.Add(new TimelineEvent
                {
                    Clock = clock, Source = file, Kind = TimelineKinds.Pause, Offset = at, Duration = TimeSpan.FromMilliseconds(phases[i]),
                    Category = i == 0 ? "sweep termination" : i == phases.Count - 1 ? "mark termination" : "stop-the-world",
                    Detail = string.Create(CultureInfo.InvariantCulture, $"gc {c.Number}: {(i == 0 ? "sweep termination" : i == phases.Count - 1 ? "mark termination" : "stop-the-world")} {phases[i]} ms"),
                });
            }

            events.Add(new TimelineEvent { Clock = clock, Source = file, Kind = TimelineKinds.Heap, Offset = end, Value = c.HeapLiveMB * MB, Unit = "bytes", Category = "live", Detail = string.Create(CultureInfo.InvariantCulture, $"gc {c.Number}: {c.HeapLiveMB} MB live after the cycle") });
            events.Add(new TimelineEvent { Clock = clock, Source = file, Kind = TimelineKinds.Heap, Offset = end, Value = c.HeapGoalMB * MB, Unit = "bytes", Category = "goal", Detail = string.Create(CultureInfo.InvariantCulture, $"gc {c.Number}: next goal {c.HeapGoalMB} MB") });
            events.Add(new TimelineEvent { Clock = clock, Source = file, Kind = TimelineKinds.GcCpu, Offset = end, Value = c.PercentInGc, Unit = "%", Detail = string.Create(CultureInfo.InvariantCulture, $"gc {c.Number}: {c.PercentInGc}% of CPU in GC since the program started") });
            marks.Add((clock, start, c.Number, c.Forced));
            if (c.Forced)
                forcedEnds.Add((clock, end, c.Number));
        }

        var warnings = trace.Skipped.Count == 0 ? new List<string>()
            : [$"{file}: {trace.Skipped.Count} line(s) that are not gc lines skipped (first: line {trace.Skipped[0].LineNumber}, {trace.Skipped[0].Reason})"];
        if (absurd > 0)
            warnings.Add($"{file}: {absurd} gc line(s) with times beyond a century left out (not a real log?)");
        var anchors = new List<TimelineAnchor>();
        if (PrefixAnchor(trace, clock, file) is { } anchor)
            anchors.Add(anchor);
        return new TimelineSource
        {
            Path = trace.Path ?? file,
            Clocks = [new TimelineClock(clock, file, "the Go runtime's start (gctrace @ seconds)") { StartsAtRuntimeStart = true }],
            Events = events,
            Anchors = anchors,
            GcMarks = marks,
            ForcedGcEnds = forcedEnds,
            Warnings = warnings,
        };
    }

    /// <summary>How late a log collector may stamp a line after the runtime wrote it (for the prefix anchor).</summary>
    private static readonly TimeSpan LoggingDelay = TimeSpan.FromMilliseconds(2);

    /// <summary>How far "@x.xxx s" may be from <see cref="CycleStart"/>: half of the millisecond the runtime truncates to.</summary>
    private static readonly TimeSpan AtRounding = TimeSpan.FromMilliseconds(0.5);

    /// <summary>
    /// A cycle's start on the runtime's clock. The runtime prints "@x.xxx s" truncated, not rounded, to the millisecond
    /// (mgc.go: itoaDiv(uint64(work.tSweepTerm-runtimeInitTime)/1e6, 3)), so the cycle started within [x, x + 1 ms):
    /// its middle, x + 0.5 ms, is taken (± <see cref="AtRounding"/>). Taking x itself put every gctrace time 0.5 ms early
    /// on average against clocks that are read exactly (a trace's GC start, a core's memstats).
    /// </summary>
    private static TimeSpan CycleStart(GcCycle c) => TimeSpan.FromSeconds(c.AtSeconds) + AtRounding;

    /// <summary>
    /// The wall-clock time of the runtime's start from the lines' timestamp prefixes. The runtime writes a line as its
    /// cycle ends (@x + the clock phases); the collector stamps it at most <see cref="LoggingDelay"/> later, truncated to
    /// its resolution. Each line puts the start in a range; the lines' ranges are intersected (the tightest line's
    /// range alone when they do not overlap: a line stamped later than allowed).
    /// </summary>
    private static TimelineAnchor? PrefixAnchor(GcTrace trace, string clock, string file)
    {
        var ranges = trace.Cycles.Where(c => c.LoggedAt is not null && InRange(c.AtSeconds * 1000) && InRange(c.ClockPhasesMs.Sum()))
            .Select(c =>
            {
                // on the Unix-epoch axis (a TimeSpan), where a prefix near year 1 minus @x cannot leave the calendar
                var end = (c.LoggedAt!.Value - DateTimeOffset.UnixEpoch) - CycleStart(c) - TimeSpan.FromMilliseconds(c.ClockPhasesMs.Sum());
                return (Low: end - LoggingDelay - AtRounding, High: end + c.LoggedAtResolution!.Value + AtRounding, Cycle: c);
            }).ToList();
        if (ranges.Count == 0)
            return null;
        var low = ranges.Max(r => r.Low);
        var high = ranges.Min(r => r.High);
        string resolution = string.Create(CultureInfo.InvariantCulture, $"resolution {ranges[0].Cycle.LoggedAtResolution!.Value.TotalMilliseconds:0.###} ms; a line is written as its cycle ends and taken to be stamped within {LoggingDelay.TotalMilliseconds:0.#} ms");
        string how;
        if (low <= high)
        {
            how = $"the timestamps before {ranges.Count} gc line(s) ({resolution}), intersected";
        }
        else
        {
            var best = ranges.MinBy(r => r.High - r.Low);
            (low, high) = (best.Low, best.High);
            how = $"the timestamp before gc {best.Cycle.Number} (line {best.Cycle.LineNumber}; {resolution}); the {ranges.Count} prefixed lines do not agree (a line stamped late), so that line alone";
        }

        return new TimelineAnchor(clock, TimelineAnchor.Wall, low + (high - low) / 2, (high - low) / 2, AnchorQuality.Derived, file, how);
    }

    private static string Detail(GcCycle c) => string.Create(CultureInfo.InvariantCulture,
        $"gc {c.Number} @{c.AtSeconds:0.000}s {c.PercentInGc}%: {string.Join('+', c.ClockPhasesMs.Select(p => p.ToString(CultureInfo.InvariantCulture)))} ms clock, {c.HeapStartMB}→{c.HeapEndMB}→{c.HeapLiveMB} MB (goal {c.HeapGoalMB} MB), {c.Procs} P, {(c.Forced ? "forced" : "automatic")}");

    /// <summary>
    /// An execution trace (Go 1.22–1.25): its window, GC cycles, stop-the-world pauses and goroutine counts over time,
    /// on its own clock (ms since its first event), and its GCs as marks (no numbers). A Go 1.22–1.24 trace records no
    /// wall-clock time; a Go 1.25 trace's clock snapshot gives exact anchors to the wall clock and to the machine's
    /// monotonic clock (<see cref="SnapshotAnchors"/>).
    /// </summary>
    public static TimelineSource FromExecutionTrace(GoExecutionTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        string file = Name(trace.Path, "trace");
        string clock = $"{file}: since trace start";
        var events = new List<TimelineEvent>
        {
            new()
            {
                Clock = clock, Source = file, Kind = TimelineKinds.Trace, Offset = TimeSpan.Zero, Duration = Ms(trace.DurationMs),
                Detail = string.Create(CultureInfo.InvariantCulture, $"Go {trace.GoVersion} execution trace, {trace.DurationMs:F1} ms, GOMAXPROCS {trace.Gomaxprocs}, {trace.Goroutines} goroutines"),
            },
        };
        var marks = new List<(string, TimeSpan, int?, bool?)>();
        foreach (var gc in trace.Gcs)
        {
            events.Add(new TimelineEvent
            {
                Clock = clock, Source = file, Kind = TimelineKinds.GC, Offset = Ms(gc.StartMs), Duration = Ms(gc.DurationMs),
                Detail = string.Create(CultureInfo.InvariantCulture, $"GC (trace sequence {gc.Sequence}) at {gc.StartMs:F3} ms: {gc.DurationMs:F3} ms, stop-the-world {gc.StopTheWorldMs:F3} ms"),
            });
            // a GC already running when the trace started shows at its first event: its start is not known
            if (gc.StartMs > 0)
                marks.Add((clock, Ms(gc.StartMs), null, null));
        }

        foreach (var stw in trace.StopTheWorlds)
        {
            events.Add(new TimelineEvent
            {
                Clock = clock, Source = file, Kind = TimelineKinds.Pause, Offset = Ms(stw.StartMs), Duration = Ms(stw.DurationMs),
                Category = stw.Kind, Detail = string.Create(CultureInfo.InvariantCulture, $"stop-the-world ({stw.Kind}): {stw.DurationMs:F3} ms"),
            });
        }

        foreach (var s in trace.StatesOverTime)
        {
            events.Add(new TimelineEvent
            {
                Clock = clock, Source = file, Kind = TimelineKinds.Goroutines, Offset = Ms(s.TimeMs),
                Value = s.Running + s.Runnable + s.Waiting + s.Syscall, Unit = "goroutines",
                Detail = string.Create(CultureInfo.InvariantCulture, $"running {s.Running}, runnable {s.Runnable}, waiting {s.Waiting}, syscall {s.Syscall}"),
            });
        }

        // The heap as the runtime reported it into the trace: allocated (HeapAlloc) and the next GC's goal (HeapGoal).
        foreach (var h in trace.HeapOverTime)
        {
            events.Add(new TimelineEvent
            {
                Clock = clock, Source = file, Kind = TimelineKinds.Heap, Offset = Ms(h.TimeMs), Value = h.Bytes, Unit = "bytes", Category = h.Kind,
                Detail = string.Create(CultureInfo.InvariantCulture, $"heap {h.Kind} {Bytes.Format((long)Math.Min(h.Bytes, long.MaxValue))} (execution trace)"),
            });
        }

        var clocks = new List<TimelineClock> { new(clock, file, "the execution trace's first event (monotonic clock)") };
        var warnings = trace.Warnings.Select(w => $"{file}: {w}").ToList();
        var anchors = SnapshotAnchors(trace, clock, file, clocks, warnings);
        return new TimelineSource
        {
            Path = trace.Path ?? file,
            Clocks = clocks,
            Events = events,
            Anchors = anchors,
            GcMarks = marks,
            Goroutines = new GoroutineHistory(clock, Ms(trace.DurationMs), trace.GoroutineLives),
            Warnings = warnings,
        };
    }

    /// <summary>
    /// A Go 1.25+ trace's exact anchors from its first generation's clock snapshot: its clock (zero at its first event)
    /// to the wall clock, and to the machine's monotonic clock (a clock of its own, "&lt;file&gt;: monotonic clock"). The
    /// runtime reads the wall and monotonic clocks together, then the trace clock (nanotime / 64 on most platforms):
    /// the uncertainty is one trace clock unit plus <see cref="SnapshotReadGap"/>. The other generations' snapshots are
    /// compared with the first; a disagreement beyond <see cref="SnapshotDisagreement"/> (the wall clock set during the
    /// trace) is a warning. A gctrace of the same run still joins the trace's clock by its GC gaps.
    /// </summary>
    private static List<TimelineAnchor> SnapshotAnchors(GoExecutionTrace trace, string clock, string file, List<TimelineClock> clocks, List<string> warnings)
    {
        if (trace.ClockSnapshots.Count == 0)
            return [];
        var first = trace.ClockSnapshots[0];
        // the wall-clock time of the trace's zero (its first event), in ns since the Unix epoch, by each snapshot
        long ZeroAt(GoTraceClockSnapshot s) => s.WallUnixNs - (s.TraceNs - trace.FirstEventNs);
        long zero = ZeroAt(first);
        double unitNs = first.TicksPerSecond > 0 ? 1e9 / first.TicksPerSecond : 1;
        var uncertainty = TimeSpan.FromTicks((long)Math.Ceiling((unitNs + SnapshotReadGap.TotalNanoseconds) / 100));
        var spread = trace.ClockSnapshots.Skip(1).Select(s => (Snapshot: s, OffMs: (ZeroAt(s) - zero) / 1e6)).ToList();
        string agree = spread.Count == 0 ? "the trace's only snapshot"
            : string.Create(CultureInfo.InvariantCulture, $"the other {spread.Count} generation(s)' snapshots put the trace's start within {spread.Max(x => Math.Abs(x.OffMs)):0.###} ms of it");
        string how = string.Create(CultureInfo.InvariantCulture,
            $"Go 1.25 clock snapshot of generation {first.Generation} (its sync batch): trace clock {first.TraceNs} ns, monotonic {first.MonotonicNs} ns and wall {first.WallSeconds}.{first.WallNanoseconds:D9} s, read together by the runtime; uncertainty: one trace clock unit ({unitNs:0.#} ns) and the time between its clock reads (up to {SnapshotReadGap.TotalMicroseconds:0.#} µs); {agree}");
        var anchors = new List<TimelineAnchor>
        {
            new(clock, TimelineAnchor.Wall, TimeSpan.FromTicks(zero / 100), uncertainty, AnchorQuality.Exact, file, how),
        };
        string mono = $"{file}: monotonic clock";
        clocks.Add(new TimelineClock(mono, file, "the traced machine's monotonic clock (the Go runtime's nanotime, CLOCK_MONOTONIC on Linux), from its zero"));
        long monoAtZero = (long)Math.Min(first.MonotonicNs, long.MaxValue / 2) - (first.TraceNs - trace.FirstEventNs);
        anchors.Add(new TimelineAnchor(clock, mono, TimeSpan.FromTicks(monoAtZero / 100), uncertainty, AnchorQuality.Exact, file,
            string.Create(CultureInfo.InvariantCulture, $"Go 1.25 clock snapshot of generation {first.Generation}: trace clock {first.TraceNs} ns against monotonic {first.MonotonicNs} ns")));
        var worst = spread.Where(x => Math.Abs(x.OffMs) > SnapshotDisagreement.TotalMilliseconds).OrderByDescending(x => Math.Abs(x.OffMs)).FirstOrDefault();
        if (worst.Snapshot is not null)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{file}: the clock snapshots disagree: generation {worst.Snapshot.Generation}'s puts the trace's start {worst.OffMs:+0.###;-0.###} ms from generation {first.Generation}'s (the wall clock was set during the trace, or the trace clock's frequency changed); the trace is placed by generation {first.Generation}'s"));
        }

        return anchors;
    }

    /// <summary>How far apart the runtime reads the wall/monotonic clocks and the trace clock for a snapshot (time_now, then traceClockNow: a few instructions; taken as 1 µs).</summary>
    private static readonly TimeSpan SnapshotReadGap = TimeSpan.FromMicroseconds(1);

    /// <summary>How far two generations' snapshots may disagree on the trace's start before a warning (a wall clock stepped during the trace).</summary>
    private static readonly TimeSpan SnapshotDisagreement = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// A pprof profile, on the wall clock (time_nanos): a CPU profile's window (time_nanos to + duration_nanos), any
    /// other profile as a marker (Category: its sample types). A heap profile is offered for matching as a moment just
    /// after a forced GC (programs call runtime.GC before writing one so that it is current).
    /// </summary>
    public static TimelineSource FromPprof(PprofProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        string file = Name(profile.Path, "profile");
        if (profile.TimeNanos <= 0)
        {
            return new TimelineSource
            {
                Path = profile.Path ?? file,
                Warnings = [$"{file} has no time_nanos: the profile cannot be placed on any clock and is left out"],
            };
        }

        var at = TimeSpan.FromTicks(profile.TimeNanos / 100);
        bool cpu = profile.SampleTypes.Any(t => t.Type == "cpu") && profile.DurationNanos > 0;
        string types = profile.SampleTypeNames;
        var ev = cpu
            ? new TimelineEvent
            {
                Clock = TimelineAnchor.Wall, Source = file, Kind = TimelineKinds.CpuProfile, Offset = at, Time = DateTimeOffset.UnixEpoch + at,
                Duration = TimeSpan.FromTicks(profile.DurationNanos / 100), Category = types,
                Detail = string.Create(CultureInfo.InvariantCulture, $"CPU profile, {profile.DurationNanos / 1e9:F3} s, {profile.SampleCount} samples"),
            }
            : new TimelineEvent
            {
                Clock = TimelineAnchor.Wall, Source = file, Kind = TimelineKinds.Profile, Offset = at, Time = DateTimeOffset.UnixEpoch + at,
                Duration = profile.DurationNanos > 0 ? TimeSpan.FromTicks(profile.DurationNanos / 100) : null, Category = types,
                Detail = $"profile written ({types}), {profile.SampleCount} samples",
            };
        bool heap = profile.SampleTypes.Count > 0 && profile.SampleTypes[profile.DefaultSampleIndex].Type == "inuse_space";
        return new TimelineSource
        {
            Path = profile.Path ?? file,
            Events = [ev],
            AfterForcedGc = heap ? [(TimelineAnchor.Wall, at, $"heap profile {file}")] : [],
        };
    }

    /// <summary>
    /// A goroutine text dump (debug=2 or a traceback): it records no time, so it gets a clock of its own ("when it was
    /// taken") with a Dump marker, and its goroutine ids, by which the timeline places it on an execution trace of the
    /// same process. A debug=1 profile lists no ids: it gives no events, and a warning says so.
    /// </summary>
    public static TimelineSource FromGoroutineDump(string path, CancellationToken cancellationToken = default)
    {
        string file = Path.GetFileName(path);
        using (var reader = new StreamReader(InputFile.OpenRead(path, "Goroutine dump")))
        {
            if (reader.ReadLine()?.StartsWith("goroutine profile: total ", StringComparison.Ordinal) == true)
            {
                return new TimelineSource
                {
                    Path = path,
                    Warnings = [$"{file} is a goroutine dump: it records no time, and as a debug=1 profile it lists no goroutine ids to place it by (a debug=2 dump does); it is not on the timeline"],
                };
            }
        }

        var dump = GoroutineDumpParser.ParseFile(path, cancellationToken: cancellationToken);
        string clock = $"{file}: when it was taken";
        var ids = dump.Goroutines.Select(g => g.Id).Distinct().Order().ToList();
        return new TimelineSource
        {
            Path = path,
            Clocks = [new TimelineClock(clock, file, "the moment the goroutine dump was taken (it records no time)")],
            Events =
            [
                new TimelineEvent
                {
                    Clock = clock, Source = file, Kind = TimelineKinds.Dump, Offset = TimeSpan.Zero, Category = "goroutines",
                    Detail = ids.Count == 0 ? "goroutine dump taken (no goroutines)" : $"goroutine dump taken: {ids.Count} goroutines (ids {ids[0]}–{ids[^1]})",
                },
            ],
            GoroutineIds = ids,
        };
    }

    /// <summary>
    /// A Go core, on its runtime's clock: the process start, the last GC's end, the heap (live, goal) and the dump; an
    /// exact anchor from memstats (last GC's wall and monotonic times with runtimeInitTime) when the runtime has
    /// completed a GC. The core does not record when it was written: the Dump marker is placed at its newest recorded
    /// moment, the last GC's end.
    /// </summary>
    public static TimelineSource FromGoCore(GoCore core)
    {
        ArgumentNullException.ThrowIfNull(core);
        var info = core.Info;
        string file = Path.GetFileName(info.Path);
        string clock = $"{file}: since runtime start";
        var events = new List<TimelineEvent>
        {
            new() { Clock = clock, Source = file, Kind = TimelineKinds.ProcessStart, Offset = TimeSpan.Zero, Detail = $"Go runtime started ({info.GoVersion}, pid {info.ProcessId})" },
        };
        var anchors = new List<TimelineAnchor>();
        var warnings = new List<string>();
        var mem = info.Memory;
        if (mem is { ProcessStart: { } start, LastGC: { } lastGc })
        {
            var end = TimeSpan.FromTicks((mem.LastGCNanotime - mem.RuntimeInitNanotime) / 100);
            anchors.Add(TimelineAnchor.ToWall(clock, start, TimeSpan.FromTicks(10), AnchorQuality.Exact, file,
                "memstats.last_gc_unix (wall) and last_gc_nanotime with runtimeInitTime (monotonic), read together by the runtime at the last GC's end"));
            events.Add(new TimelineEvent
            {
                Clock = clock, Source = file, Kind = TimelineKinds.GC, Offset = end,
                Detail = string.Create(CultureInfo.InvariantCulture, $"the last GC ended (memstats.last_gc_unix {lastGc.UtcDateTime:HH:mm:ss.fff}): GC {mem.NumGC}, {mem.NumForcedGC} forced so far"),
            });
            AddNow(events, clock, file, end, mem);
        }
        else
        {
            warnings.Add(mem is null
                ? $"{file}: the runtime's memory state could not be read, so the core gives no wall-clock time"
                : $"{file}: the runtime had not completed a GC, the only moment it records both the wall and the monotonic clock: the core gives no wall-clock time");
            if (mem is not null)
                AddNow(events, clock, file, TimeSpan.Zero, mem);
        }

        return new TimelineSource
        {
            Path = info.Path,
            Clocks = [new TimelineClock(clock, file, "the Go runtime's start (runtimeInitTime)") { StartsAtRuntimeStart = true }],
            Events = events,
            Anchors = anchors,
            Warnings = warnings.Concat(info.Warnings.Select(w => $"{file}: {w}")).ToList(),
        };
    }

    private static void AddNow(List<TimelineEvent> events, string clock, string file, TimeSpan at, GoMemoryState mem)
    {
        string where = at == TimeSpan.Zero ? "at the runtime's start (no GC recorded)" : "at the last GC's end";
        events.Add(new TimelineEvent { Clock = clock, Source = file, Kind = TimelineKinds.Heap, Offset = at, Value = mem.HeapLive, Unit = "bytes", Category = "live", Detail = $"heap live when the core was written ({Bytes.Format((long)Math.Min(mem.HeapLive, long.MaxValue))}), placed {where}" });
        events.Add(new TimelineEvent { Clock = clock, Source = file, Kind = TimelineKinds.Heap, Offset = at, Value = mem.HeapGoal, Unit = "bytes", Category = "goal", Detail = $"heap goal when the core was written ({Bytes.Format((long)Math.Min(mem.HeapGoal, long.MaxValue))}), placed {where}" });
        events.Add(new TimelineEvent { Clock = clock, Source = file, Kind = TimelineKinds.Dump, Offset = at, Category = "core", Detail = $"core written: the core does not record when; placed {where}, its newest recorded moment (it was written later)" });
    }

    /// <summary>Within a century (ms): times beyond are not from a real artifact and would not fit the calendar.</summary>
    private static bool InRange(double ms) => double.IsFinite(ms) && Math.Abs(ms) < 100 * 365.25 * 86_400_000;

    /// <summary>Milliseconds as a TimeSpan, held within a century (a damaged trace's times; the trace reader warns of them).</summary>
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(InRange(ms) ? ms : double.IsNaN(ms) ? 0 : Math.Sign(ms) * 100 * 365.25 * 86_400_000 * 0.999);

    private static string Name(string? path, string fallback) => path is null ? fallback : Path.GetFileName(path);
}
