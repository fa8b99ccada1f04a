using System.Globalization;

namespace Analysis.Timelines;

/// <summary>
/// Joins timeline sources into one <see cref="Timeline"/>: gathers their clocks and anchors, derives anchors by matching
/// what two artifacts saw of the same GCs (the gaps between a trace's GCs and a gctrace's cycles; heap profiles and the
/// forced GCs before them), adds the user's -StartTime for runtime clocks nothing else places, then puts every clock
/// on the wall clock along the chain of anchors with the smallest total uncertainty.
/// </summary>
public static class TimelineBuilder
{
    /// <summary>How far (ms) a gctrace cycle's start may be from the instant: "@x.xxx s" is truncated to the millisecond and read as its middle, x + 0.5 ms.</summary>
    private const double GcTraceResolutionMs = 0.5;

    /// <summary>
    /// How much later (ms) than its forced GC's end a heap profile's time_nanos may be read. runtime.GC returns only
    /// after sweeping the heap, then the profile copies its records before it reads the clock; a busy machine adds
    /// scheduling delays. Measured on the leaky program (Go 1.23, 2 shared cores; memstats.LastGC, which the runtime
    /// sets at the cycle's end, against time_nanos): 0.4 to 9.1 ms over 10 profiles of 5 runs. Taken as up to 10 ms:
    /// the profiles' gaps may differ from their GCs' by that much, and the runtime's start they give may be late by it.
    /// </summary>
    private const double ProfileDelayMs = 10;

    /// <summary>
    /// Builds the timeline. <paramref name="startTime"/> is the process's (Go runtime's) start in wall-clock time: it
    /// anchors the clocks that start there (a gctrace log's, a Go core's) when nothing in the artifacts does.
    /// </summary>
    public static Timeline Build(IReadOnlyList<TimelineSource> sources, DateTimeOffset? startTime = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var notices = new List<string>();
        sources = Distinct(sources, notices);
        var clocks = new List<TimelineClock>();
        void AddClock(TimelineClock c)
        {
            if (!clocks.Any(k => k.Id == c.Id))
                clocks.Add(c);
        }

        foreach (var s in sources)
        {
            foreach (var c in s.Clocks)
                AddClock(c);
        }

        if (sources.Any(s => s.Events.Any(e => e.Clock == TimelineAnchor.Wall)))
            AddClock(new TimelineClock(TimelineAnchor.Wall, "", "wall clock (UTC), from the Unix epoch"));

        var warnings = notices.Concat(sources.SelectMany(s => s.Warnings)).ToList();
        var anchors = sources.SelectMany(s => s.Anchors).ToList();
        var notes = new Dictionary<string, string>(); // why a clock's matching failed, for its warning
        anchors.AddRange(MatchGcGaps(sources, notes));
        anchors.AddRange(MatchHeapProfiles(sources, notes));
        var dumpWarnings = new Dictionary<string, string>(); // goroutine dumps their ids did not place, by clock
        anchors.AddRange(GoroutineDumpPlacement.Match(sources, dumpWarnings));

        var placed = Place(clocks.Select(c => c.Id), anchors);
        if (startTime is { } start)
        {
            var runtimeClocks = clocks.Where(c => c.StartsAtRuntimeStart).ToList();
            var open = runtimeClocks.Where(c => !placed.ContainsKey(c.Id)).ToList();
            if (runtimeClocks.Count == 0)
                warnings.Add("-StartTime was not used: no artifact has a clock that starts at the process's start (a gctrace log or a Go core)");
            else if (open.Count == 0)
                warnings.Add($"-StartTime was not used: the artifacts anchor every runtime clock ({string.Join(", ", runtimeClocks.Select(c => c.Id))}) by themselves");
            foreach (var c in open)
            {
                anchors.Add(TimelineAnchor.ToWall(c.Id, start, TimeSpan.Zero, AnchorQuality.User, "-StartTime",
                    $"-StartTime {start.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)} taken as the start of the runtime of {c.Source} (no artifact anchors its clock)"));
            }

            if (open.Count > 1)
                warnings.Add($"-StartTime was applied to {open.Count} runtime clocks ({string.Join(", ", open.Select(c => c.Id))}): they are taken to be one process");
            if (open.Count > 0)
                placed = Place(clocks.Select(c => c.Id), anchors);
        }

        var events = new List<TimelineEvent>();
        int outside = 0;
        foreach (var e in sources.SelectMany(s => s.Events))
        {
            var shift = e.Clock == TimelineAnchor.Wall ? TimeSpan.Zero : placed.TryGetValue(e.Clock, out var p) ? p.Shift : (TimeSpan?)null;
            var time = e.Clock == TimelineAnchor.Wall && e.Time is not null ? e.Time : shift is { } s ? WallTime(e.Offset, s) : null;
            if (shift is not null && time is null)
                outside++;
            events.Add(e with { Time = time });
        }

        if (outside > 0)
            warnings.Add($"{outside} event(s) fall outside the calendar (years 1 to 9999) when placed on the wall clock: their artifacts' times are damaged; they are left without a time");

        foreach (var c in clocks.Where(c => c.Id != TimelineAnchor.Wall && !placed.ContainsKey(c.Id)))
            warnings.Add(dumpWarnings.TryGetValue(c.Id, out string? why) ? why : Unanchored(c, anchors, notes));

        var ordered = events.Where(e => e.Time is not null).OrderBy(e => e.Time)
            .Concat(events.Where(e => e.Time is null).OrderBy(e => e.Clock, StringComparer.Ordinal).ThenBy(e => e.Offset))
            .ToList();
        var used = new List<TimelineAnchor>();
        foreach (var c in clocks)
        {
            if (placed.TryGetValue(c.Id, out var p))
            {
                foreach (var a in p.Chain.Where(a => !used.Contains(a)))
                    used.Add(a);
            }
        }

        return new Timeline(ordered, used, clocks, warnings);
    }

    /// <summary>
    /// The sources, each once (a path given twice is read once), with clock ids made unique: two artifacts with one file
    /// name (gctrace.log of two pods) get their clocks named by their full paths instead of sharing one clock.
    /// </summary>
    private static List<TimelineSource> Distinct(IReadOnlyList<TimelineSource> sources, List<string> notices)
    {
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        var result = new List<TimelineSource>();
        foreach (var source in sources)
        {
            if (result.Any(r => r.Path == source.Path))
            {
                notices.Add($"{source.Path} was given more than once: it is read once");
                continue;
            }

            var s = source;
            if (s.Clocks.Any(c => c.Id != TimelineAnchor.Wall && owner.TryGetValue(c.Id, out string? other) && other != s.Path))
            {
                string name = Path.GetFileName(s.Path);
                string Rename(string id) => id == TimelineAnchor.Wall ? id
                    : id.StartsWith(name, StringComparison.Ordinal) && name.Length > 0 ? s.Path + id[name.Length..]
                    : $"{s.Path}: {id}";
                s = s with
                {
                    Clocks = s.Clocks.Select(c => c with { Id = Rename(c.Id) }).ToList(),
                    Events = s.Events.Select(e => e with { Clock = Rename(e.Clock) }).ToList(),
                    Anchors = s.Anchors.Select(a => a with { From = Rename(a.From), To = Rename(a.To) }).ToList(),
                    GcMarks = s.GcMarks.Select(m => (Rename(m.Clock), m.Start, m.Number, m.Forced)).ToList(),
                    ForcedGcEnds = s.ForcedGcEnds.Select(m => (Rename(m.Clock), m.End, m.Number)).ToList(),
                    AfterForcedGc = s.AfterForcedGc.Select(m => (Rename(m.Clock), m.At, m.What)).ToList(),
                    Goroutines = s.Goroutines is { } history ? history with { Clock = Rename(history.Clock) } : null,
                };
            }

            foreach (var c in s.Clocks)
                owner.TryAdd(c.Id, s.Path);
            result.Add(s);
        }

        return result;
    }

    /// <summary>The wall-clock time of an offset on a clock placed with <paramref name="shift"/>; null outside the calendar.</summary>
    private static DateTimeOffset? WallTime(TimeSpan offset, TimeSpan shift)
    {
        long ticks;
        try
        {
            ticks = checked(DateTimeOffset.UnixEpoch.Ticks + offset.Ticks + shift.Ticks);
        }
        catch (OverflowException)
        {
            return null;
        }

        return ticks < DateTimeOffset.MinValue.Ticks || ticks > DateTimeOffset.MaxValue.Ticks ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>"X stays on its own clock: why; give -StartTime or add an artifact that anchors it".</summary>
    private static string Unanchored(TimelineClock clock, List<TimelineAnchor> anchors, Dictionary<string, string> notes)
    {
        var tied = anchors.Where(a => a.From == clock.Id || a.To == clock.Id).Select(a => a.From == clock.Id ? a.To : a.From).Distinct().ToList();
        string why = tied.Count > 0 ? $"it is tied to {string.Join(", ", tied)}, which nothing places on the wall clock either"
            : notes.TryGetValue(clock.Id, out string? note) ? note
            : "its artifact records no wall-clock time and no other artifact's events were matched to it";
        string what = clock.StartsAtRuntimeStart ? "give -StartTime (the process's start) or add an artifact that anchors it (heap profiles written after runtime.GC, a core of the process)"
            : "give -StartTime or add an artifact that anchors it (a gctrace log of the same run: its GCs are matched to this artifact's)";
        return $"{clock.Id} stays on its own clock: {why}; {what}";
    }

    /// <summary>For every clock that a chain of anchors reaches from the wall clock: its shift to the wall clock and the chain, the one with the smallest total uncertainty (Dijkstra; an anchor works both ways).</summary>
    private static Dictionary<string, (TimeSpan Shift, TimeSpan Uncertainty, List<TimelineAnchor> Chain)> Place(IEnumerable<string> clocks, List<TimelineAnchor> anchors)
    {
        var best = new Dictionary<string, (TimeSpan Shift, TimeSpan Uncertainty, List<TimelineAnchor> Chain)>
        {
            [TimelineAnchor.Wall] = (TimeSpan.Zero, TimeSpan.Zero, []),
        };
        var done = new HashSet<string>();
        while (true)
        {
            var next = best.Where(kv => !done.Contains(kv.Key)).OrderBy(kv => kv.Value.Uncertainty).FirstOrDefault();
            if (next.Key is null)
                break;
            done.Add(next.Key);
            var (shift, uncertainty, chain) = next.Value;
            foreach (var a in anchors)
            {
                // a.From + a.Shift = a.To: knowing To's shift to the wall gives From's, and the other way round
                (string Other, TimeSpan OtherShift)? step = a.To == next.Key ? (a.From, shift + a.Shift)
                    : a.From == next.Key ? (a.To, shift - a.Shift)
                    : null;
                if (step is not { } s || done.Contains(s.Other))
                    continue;
                var total = uncertainty + a.Uncertainty;
                if (!best.TryGetValue(s.Other, out var known) || total < known.Uncertainty)
                    best[s.Other] = (s.OtherShift, total, [.. chain, a]);
            }
        }

        best.Remove(TimelineAnchor.Wall);
        var wanted = clocks.ToHashSet();
        return best.Where(kv => wanted.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>
    /// A derived anchor for each two clocks whose GC marks match by the gaps between successive GC starts (the artifact
    /// with fewer GCs saw a run of the other's, e.g. a trace a window of a gctrace's cycles). Two gctraces are not
    /// matched with each other.
    /// </summary>
    private static IEnumerable<TimelineAnchor> MatchGcGaps(IReadOnlyList<TimelineSource> sources, Dictionary<string, string> notes)
    {
        var byClock = sources.SelectMany(s => s.GcMarks.Select(m => (m, Source: s.Path))).GroupBy(x => x.m.Clock)
            .Select(g => (Clock: g.Key, Source: Path.GetFileName(g.First().Source), Marks: g.Select(x => x.m).OrderBy(m => m.Start).ToList())).ToList();
        for (int i = 0; i < byClock.Count; i++)
        {
            for (int j = i + 1; j < byClock.Count; j++)
            {
                var (a, b) = byClock[i].Marks.Count <= byClock[j].Marks.Count ? (byClock[i], byClock[j]) : (byClock[j], byClock[i]);
                // two artifacts that both number their GCs are two gctraces: two processes (one program runs with the
                // same GC rhythm in every pod, so their gaps would match by chance) or one log given twice
                if (a.Marks.All(m => m.Number is not null) && b.Marks.All(m => m.Number is not null))
                    continue;

                var match = Align(a.Marks.Select(m => m.Start).ToList(), b.Marks.Select(m => m.Start).ToList(),
                    (x, y) => a.Marks[x].Forced is null || b.Marks[y].Forced is null || a.Marks[x].Forced == b.Marks[y].Forced);
                if (match.Anchor(a.Clock, b.Clock, GcTraceResolutionMs) is not { } shift)
                {
                    notes.TryAdd(a.Clock, $"its {a.Marks.Count} GC(s) matched no run of {b.Source}'s {b.Marks.Count} GC cycles ({match.Why})");
                    continue;
                }

                var first = b.Marks[match.K];
                var last = b.Marks[match.K + a.Marks.Count - 1];
                string which = first.Number is { } n1 && last.Number is { } n2 ? $"gc {n1}–{n2}" : $"GCs {match.K + 1}–{match.K + a.Marks.Count}";
                yield return shift with
                {
                    Source = $"{a.Source} + {b.Source}",
                    How = string.Create(CultureInfo.InvariantCulture, $"GC-gap pattern: {a.Source}'s {a.Marks.Count} GC starts ({a.Marks.Count - 1} gap(s)) matched {b.Source}'s {which}, residual {match.ResidualMs:F2} ms{match.Runner}"),
                };
            }
        }
    }

    /// <summary>
    /// A derived anchor of a clock with forced GC ends (a gctrace) to the clock of moments just after forced GCs (heap
    /// profiles on the wall clock): the gaps between the profiles matched to the gaps between a run of forced cycles' ends.
    /// </summary>
    private static IEnumerable<TimelineAnchor> MatchHeapProfiles(IReadOnlyList<TimelineSource> sources, Dictionary<string, string> notes)
    {
        var after = sources.SelectMany(s => s.AfterForcedGc).GroupBy(m => m.Clock).ToList();
        var ends = sources.SelectMany(s => s.ForcedGcEnds.Select(e => (e, Source: Path.GetFileName(s.Path)))).GroupBy(x => x.e.Clock).ToList();
        foreach (var marks in after)
        {
            var moments = marks.OrderBy(m => m.At).ToList();
            var found = new List<TimelineAnchor>();
            foreach (var gcs in ends)
            {
                var cycles = gcs.OrderBy(x => x.e.End).ToList();
                string gcSource = cycles[0].Source;
                var match = Align(moments.Select(m => m.At).ToList(), cycles.Select(c => c.e.End).ToList(), (_, _) => true, ProfileDelayMs / 2);
                bool single = moments.Count == 1 && cycles.Count == 1;
                if (moments.Count > cycles.Count || (!single && match.Anchor(gcs.Key, marks.Key, GcTraceResolutionMs) is null))
                {
                    notes.TryAdd(gcs.Key, $"its {cycles.Count} forced GC(s) matched no run of the {moments.Count} heap profile(s) ({(moments.Count > cycles.Count ? "more profiles than forced GCs" : match.Why)})");
                    continue;
                }

                // the profile's clock offset minus the GC end's: From (gctrace) + Shift = To (profiles). A profile is
                // written after its GC ended, never before: the smallest difference is the latest the start can be, so
                // it is the estimate (no profile lands before its GC). It is late by that profile's own delay, which
                // the artifacts do not record: the uncertainty is the delay a profile may have (ProfileDelayMs).
                double[] lags = moments.Select((m, i) => (m.At - cycles[match.K + i].e.End).TotalMilliseconds).ToArray();
                double shiftMs = lags.Min(), spreadMs = lags.Max() - lags.Min();
                string pairs = string.Join(", ", moments.Select((m, i) => $"{m.What} after gc {cycles[match.K + i].e.Number}"));
                found.Add(new TimelineAnchor(gcs.Key, marks.Key, TimeSpan.FromMilliseconds(shiftMs), TimeSpan.FromMilliseconds(Math.Max(spreadMs, ProfileDelayMs) + GcTraceResolutionMs),
                    AnchorQuality.Derived, $"{string.Join(" + ", moments.Select(m => m.What.Split(' ')[^1]))} + {gcSource}",
                    string.Create(CultureInfo.InvariantCulture,
                        $"heap profiles written just after forced GCs (runtime.GC, then the profile): {pairs}; {(single ? "the only profile and the only forced cycle" : $"{moments.Count - 1} gap(s) matched, residual {match.ResidualMs:F2} ms{match.Runner}")}; a profile is written a little after its cycle's end (sweeping, then the profile's clock read): the start is taken from the profile closest to its GC (the others up to {spreadMs:F2} ms later after theirs), and may be late by that profile's own delay (up to {ProfileDelayMs:0} ms measured after runtime.GC)")));
            }

            if (found.Count == 1)
            {
                yield return found[0];
            }
            else if (found.Count > 1)
            {
                foreach (var f in found)
                    notes[f.From] = $"the heap profiles match the forced GCs of {found.Count} logs ({string.Join(", ", found.Select(x => x.From))}) equally: runs of one program; give only the log of the run that wrote them";
            }
        }
    }

    /// <summary>
    /// The best alignment of <paramref name="small"/> (on clock A) with a run of <paramref name="large"/> (clock B):
    /// small[i] ↔ large[K + i], the shift (B − A, mean) and the residual (largest deviation from it).
    /// </summary>
    private static Alignment Align(List<TimeSpan> small, List<TimeSpan> large, Func<int, int, bool> compatible, double allowanceMs = 0)
    {
        var found = new List<(int K, double Shift, double Residual)>();
        for (int k = 0; k + small.Count <= large.Count; k++)
        {
            if (!Enumerable.Range(0, small.Count).All(i => compatible(i, k + i)))
                continue;
            double[] d = Enumerable.Range(0, small.Count).Select(i => (large[k + i] - small[i]).TotalMilliseconds).ToArray();
            double mean = d.Average();
            found.Add((k, mean, d.Max(v => Math.Abs(v - mean))));
        }

        found.Sort((x, y) => x.Residual.CompareTo(y.Residual));
        return new Alignment(small.Count, small.Count < 2 ? 0 : (small[^1] - small[0]).TotalMilliseconds, found, allowanceMs);
    }

    // allowanceMs: how far the marks may deviate beyond the gctrace's rounding (half a heap profile's delay after its
    // GC: the residual is a deviation from the mean)
    private sealed class Alignment(int count, double spanMs, List<(int K, double Shift, double Residual)> found, double allowanceMs)
    {
        public int K => found[0].K;

        public double ResidualMs => found[0].Residual;

        /// <summary>How far the gaps may disagree: the gctrace's ms rounding at both ends, plus 0.1% of the span, plus the allowance.</summary>
        private double Tolerance => 4 * GcTraceResolutionMs + spanMs / 1000 + allowanceMs;

        /// <summary>The next best alignment, for the How.</summary>
        public string Runner => found.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $"; the next best alignment is off by {found[1].Residual:F1} ms") : "; the only possible alignment";

        public string Why => count < 2 ? "a single GC has no gap to match"
            : found.Count == 0 ? "no run of as many GCs"
            : found[0].Residual > Tolerance ? string.Create(CultureInfo.InvariantCulture, $"the best alignment is off by {found[0].Residual:F1} ms, over the {Tolerance:F1} ms allowed")
            : string.Create(CultureInfo.InvariantCulture, $"two alignments fit within {Tolerance:F1} ms (residuals {found[0].Residual:F2} and {found[1].Residual:F2} ms): ambiguous");

        /// <summary>The anchor From + shift = To when the match is good (≥ 2 marks, within tolerance, no second alignment within it); else null.</summary>
        public TimelineAnchor? Anchor(string from, string to, double resolutionMs) =>
            count >= 2 && found.Count > 0 && found[0].Residual <= Tolerance && (found.Count == 1 || found[1].Residual > Tolerance)
                ? new TimelineAnchor(from, to, TimeSpan.FromMilliseconds(found[0].Shift), TimeSpan.FromMilliseconds(found[0].Residual + resolutionMs), AnchorQuality.Derived, "", "")
                : null;
    }
}
