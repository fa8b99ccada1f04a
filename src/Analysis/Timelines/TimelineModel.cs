using System.Globalization;

namespace Analysis.Timelines;

/// <summary>
/// One thing that happened, from one artifact, on that artifact's own clock (<see cref="Clock"/>, <see cref="Offset"/>)
/// and, when the clock could be placed on the wall clock, at <see cref="Time"/>. A GC cycle, a stop-the-world pause, a
/// heap size, a goroutine count, a profile's window, a dump taken, an exception.
/// </summary>
public sealed record TimelineEvent
{
    /// <summary>Wall-clock time (UTC) of the event's start; null when its clock could not be anchored.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>The event's start on its own clock: from the clock's zero (runtime start, trace start, Unix epoch for "wall").</summary>
    public TimeSpan Offset { get; init; }

    /// <summary>The clock <see cref="Offset"/> is on (<see cref="TimelineClock.Id"/>): "wall", or one artifact's own clock.</summary>
    public required string Clock { get; init; }

    /// <summary>The artifact the event comes from (its file name).</summary>
    public required string Source { get; init; }

    /// <summary>What happened (<see cref="TimelineKinds"/>): "GC", "Pause", "Heap", "Goroutines", "CPU profile"…</summary>
    public required string Kind { get; init; }

    /// <summary>How long it lasted; null for an instant (a sample, a marker).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>A measured value (bytes, count, percent), with <see cref="Unit"/>; null when the event has none.</summary>
    public double? Value { get; init; }

    /// <summary>The unit of <see cref="Value"/>: "bytes", "goroutines", "%".</summary>
    public string? Unit { get; init; }

    /// <summary>A sub-kind that lanes and colours use: "forced" or "automatic" GC, "live" or "goal" heap, "induced".</summary>
    public string? Category { get; init; }

    /// <summary>What a hover shows: "gc 5 @2.995s: 0.031+1.2+0.004 ms, 4→4→2 MB (goal 4 MB), forced".</summary>
    public string Detail { get; init; } = "";

    /// <summary>"12:00:03.118 GC (forced) gctrace.log: …", or the offset on its clock when not anchored.</summary>
    public override string ToString()
    {
        string when = Time is { } t ? t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"+{Offset.TotalSeconds:F3}s ({Clock})");
        return $"{when} {Kind}{(Category is null ? "" : $" ({Category})")} {Source}: {Detail}";
    }
}

/// <summary>The event kinds artifacts give (one name per kind, shared by every source and every chart).</summary>
public static class TimelineKinds
{
    /// <summary>A garbage collection cycle (Duration: start to end; Category "forced"/"automatic" or the .NET reason).</summary>
    public const string GC = "GC";
    /// <summary>A stop-the-world pause (Duration: its length).</summary>
    public const string Pause = "Pause";
    /// <summary>Heap size (Value in bytes; Category "live", "goal", "before", "after").</summary>
    public const string Heap = "Heap";
    /// <summary>Goroutine count (Value), or threads for .NET.</summary>
    public const string Goroutines = "Goroutines";
    /// <summary>Share of CPU the GC used (Value in percent).</summary>
    public const string GcCpu = "GC CPU";
    /// <summary>A CPU profile's window (Duration).</summary>
    public const string CpuProfile = "CPU profile";
    /// <summary>An execution or .NET trace's window (Duration).</summary>
    public const string Trace = "Trace";
    /// <summary>A heap, allocs, block, mutex or goroutine profile taken (instant; Category: the profile kind).</summary>
    public const string Profile = "Profile";
    /// <summary>A goroutine dump or a core/crash dump taken (instant).</summary>
    public const string Dump = "Dump";
    /// <summary>The process (runtime) started (instant).</summary>
    public const string ProcessStart = "Process start";
    /// <summary>A .NET exception thrown (instant; Category: the exception type).</summary>
    public const string Exception = "Exception";
    /// <summary>.NET lock contention (Duration when known).</summary>
    public const string Contention = "Contention";
}

/// <summary>How an anchor was obtained, best first.</summary>
public enum AnchorQuality
{
    /// <summary>The artifact records both clocks at one moment (a core's last GC, a .nettrace sync time, Go 1.25's trace clock snapshot).</summary>
    Exact,
    /// <summary>Inferred by matching events seen by two artifacts (GC gaps in a trace and a gctrace; a heap profile and the forced GC before it; a log line's timestamp).</summary>
    Derived,
    /// <summary>Given by the user (-StartTime).</summary>
    User,
}

/// <summary>
/// A relation between two clocks: an instant at offset <c>x</c> on <see cref="From"/> is at <c>x + <see cref="Shift"/></c>
/// on <see cref="To"/>, within <see cref="Uncertainty"/>. <see cref="To"/> "wall" means the Unix epoch is its zero.
/// Chained anchors add their shifts and uncertainties; the timeline takes the chain with the smallest uncertainty.
/// </summary>
/// <param name="From">The clock placed (<see cref="TimelineClock.Id"/>).</param>
/// <param name="To">The clock it is placed on: "wall", or another artifact's clock.</param>
/// <param name="Shift">What to add to an offset on <paramref name="From"/> to get the offset on <paramref name="To"/>.</param>
/// <param name="Uncertainty">How far off the placement may be (half-width).</param>
/// <param name="Quality">Exact, derived or given by the user.</param>
/// <param name="Source">The artifacts it comes from: "core", "trace.out + gctrace.log".</param>
/// <param name="How">In words: "memstats.last_gc_unix and last_gc_nanotime", "6 GC gaps matched (residual 0.4 ms)".</param>
public sealed record TimelineAnchor(string From, string To, TimeSpan Shift, TimeSpan Uncertainty, AnchorQuality Quality, string Source, string How)
{
    /// <summary>The wall clock's id: offsets on it are from the Unix epoch (UTC).</summary>
    public const string Wall = "wall";

    /// <summary>An anchor that puts <paramref name="clock"/>'s zero at the wall-clock time <paramref name="zeroAt"/>.</summary>
    public static TimelineAnchor ToWall(string clock, DateTimeOffset zeroAt, TimeSpan uncertainty, AnchorQuality quality, string source, string how) =>
        new(clock, Wall, zeroAt - DateTimeOffset.UnixEpoch, uncertainty, quality, source, how);

    /// <summary>"trace.out → gctrace.log: +2.9229 s ± 0.4 ms (derived: 6 GC gaps matched)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{From} → {To}: {(To == Wall ? (DateTimeOffset.UnixEpoch + Shift).ToString("O", CultureInfo.InvariantCulture) : $"{Shift.TotalSeconds:+0.0000;-0.0000} s")} ± {Uncertainty.TotalMilliseconds:F1} ms ({Quality.ToString().ToLowerInvariant()}: {How})");
}

/// <summary>One artifact's own clock.</summary>
/// <param name="Id">"wall", or "&lt;file&gt;: since runtime start", "&lt;file&gt;: since trace start".</param>
/// <param name="Source">The artifact whose clock it is.</param>
/// <param name="Description">What the zero is: "the Go runtime's start (gctrace @ seconds)".</param>
public sealed record TimelineClock(string Id, string Source, string Description)
{
    /// <summary>Its zero is the process's (Go runtime's) start: -StartTime anchors it when nothing better does.</summary>
    public bool StartsAtRuntimeStart { get; init; }
}

/// <summary>
/// What one artifact contributes to a timeline: its clocks, its events on them, the anchors it knows by itself (exact
/// ones, a log line's own timestamps), what it offers for matching with other artifacts (<see cref="GcMarks"/>), and
/// its warnings. Each source reader (gctrace, execution trace, pprof, goroutine dump, Go core, .nettrace, .NET dump)
/// makes one; the timeline builder joins them.
/// </summary>
public sealed record TimelineSource
{
    /// <summary>The artifact's path.</summary>
    public required string Path { get; init; }

    /// <summary>The clocks its events are on.</summary>
    public IReadOnlyList<TimelineClock> Clocks { get; init; } = [];

    /// <summary>Its events, each on one of <see cref="Clocks"/> (or "wall").</summary>
    public IReadOnlyList<TimelineEvent> Events { get; init; } = [];

    /// <summary>Anchors it knows by itself.</summary>
    public IReadOnlyList<TimelineAnchor> Anchors { get; init; } = [];

    /// <summary>
    /// GC cycles it saw, for matching across artifacts of one process: (clock, offset of the cycle's start, the
    /// process's GC number when the artifact gives it, forced). A trace's GCs matched to a gctrace's by their gaps give a
    /// derived anchor between their clocks.
    /// </summary>
    public IReadOnlyList<(string Clock, TimeSpan Start, int? Number, bool? Forced)> GcMarks { get; init; } = [];

    /// <summary>What could not be read or placed.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// Forced GC cycles' ends on this artifact's clock, with the cycle number (a gctrace's "(forced)" cycles: start plus
    /// the wall-clock phases). Heap profiles (<see cref="AfterForcedGc"/>) are matched against them.
    /// </summary>
    public IReadOnlyList<(string Clock, TimeSpan End, int Number)> ForcedGcEnds { get; init; } = [];

    /// <summary>
    /// Moments just after a forced GC ended, with what they are: a heap profile's time_nanos (a program writes one after
    /// runtime.GC so that it is current). Matched by their gaps against another artifact's <see cref="ForcedGcEnds"/>.
    /// </summary>
    public IReadOnlyList<(string Clock, TimeSpan At, string What)> AfterForcedGc { get; init; } = [];

    /// <summary>A goroutine dump's goroutine ids (the goroutines alive when it was taken), for placing it on a trace's clock.</summary>
    public IReadOnlyList<long> GoroutineIds { get; init; } = [];

    /// <summary>An execution trace's goroutines (created, ended, start function) on its clock: goroutine dumps of the same process are placed by them.</summary>
    public GoroutineHistory? Goroutines { get; init; }
}

/// <summary>The joined timeline: every event (wall time where anchored), the anchors used, and what stays unanchored.</summary>
public sealed class Timeline
{
    internal Timeline(IReadOnlyList<TimelineEvent> events, IReadOnlyList<TimelineAnchor> anchors, IReadOnlyList<TimelineClock> clocks, IReadOnlyList<string> warnings)
    {
        Events = events;
        Anchors = anchors;
        Clocks = clocks;
        Warnings = warnings;
    }

    /// <summary>Every event, anchored ones in wall-clock order first, then the others by clock and offset.</summary>
    public IReadOnlyList<TimelineEvent> Events { get; }

    /// <summary>The anchors the events' times were computed with (the best chain for each clock).</summary>
    public IReadOnlyList<TimelineAnchor> Anchors { get; }

    /// <summary>Every clock of the artifacts.</summary>
    public IReadOnlyList<TimelineClock> Clocks { get; }

    /// <summary>What could not be read or placed: "trace.out could not be placed on the wall clock: …".</summary>
    public IReadOnlyList<string> Warnings { get; }
}
