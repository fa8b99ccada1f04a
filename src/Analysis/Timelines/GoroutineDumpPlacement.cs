using System.Globalization;
using Analysis.Go;

namespace Analysis.Timelines;

/// <summary>An execution trace's goroutines on its clock, and where the trace ends on it.</summary>
/// <param name="Clock">The trace's clock (<see cref="TimelineClock.Id"/>).</param>
/// <param name="End">The trace's last event on that clock.</param>
/// <param name="Lives">Every goroutine the trace shows.</param>
public sealed record GoroutineHistory(string Clock, TimeSpan End, IReadOnlyList<GoTraceGoroutine> Lives);

/// <summary>
/// Places a goroutine dump on an execution trace's clock by goroutine ids (the same in both): the dump was taken when
/// every goroutine it lists was alive (after the trace created it, before the trace saw it end) and none of the user
/// goroutines it leaves out was (before the trace created it or after it ended). Goroutine ids are never reused. The
/// moments that fit form an interval: its middle, with half its width as the uncertainty, is a derived anchor.
/// </summary>
internal static class GoroutineDumpPlacement
{
    /// <summary>The goroutine runtime/trace.Start creates to copy the trace to its writer; it returns when the trace stops.</summary>
    private const string TraceReader = "runtime/trace.Start.func1";

    /// <summary>One constraint: the dump's time is in one of these ranges (ms on the trace's clock), and why.</summary>
    private sealed record Rule(IReadOnlyList<(double Low, double High)> Allowed, string Why);

    /// <summary>
    /// The anchors of the dumps to the traces whose goroutines fit; for each dump that gets none, a warning that says
    /// why (keyed by the dump's clock, which then gets no generic warning).
    /// </summary>
    public static List<TimelineAnchor> Match(IReadOnlyList<TimelineSource> sources, Dictionary<string, string> warnings)
    {
        var anchors = new List<TimelineAnchor>();
        var traces = sources.Where(s => s.Goroutines is not null).ToList();
        foreach (var dump in sources.Where(s => s.GoroutineIds.Count > 0 && s.Clocks.Count == 1))
        {
            string file = Path.GetFileName(dump.Path);
            string clock = dump.Clocks[0].Id;
            if (traces.Count == 0)
            {
                warnings[clock] = $"{file} is a goroutine dump: it records no time, and no execution trace of the same process was given to place it by its goroutine ids; it is not on the timeline";
                continue;
            }

            var reasons = new List<string>();
            foreach (var trace in traces)
            {
                string traceFile = Path.GetFileName(trace.Path);
                var (found, why) = Place(dump.GoroutineIds, trace.Goroutines!, clock, $"{file} + {traceFile}", traceFile);
                if (found is not null)
                    anchors.Add(found);
                else
                    reasons.Add(why);
            }

            if (anchors.All(a => a.From != clock))
                warnings[clock] = $"{file} is a goroutine dump: it records no time, and its goroutine ids do not place it on the timeline: {string.Join("; ", reasons)}";
        }

        return anchors;
    }

    /// <summary>
    /// The moments every rule allows, as disjoint closed stretches in order: a sweep over the rules' stretches (each
    /// rule's own merged first), keeping where all of them overlap. O(n log n) in the goroutines.
    /// </summary>
    private static List<(double Low, double High)> Intersect(List<Rule> rules)
    {
        var edges = new List<(double At, int Step)>();
        foreach (var r in rules)
        {
            (double Low, double High)? open = null;
            foreach (var a in r.Allowed.OrderBy(a => a.Low))
            {
                if (open is { } o && a.Low <= o.High)
                {
                    open = (o.Low, Math.Max(o.High, a.High));
                    continue;
                }

                if (open is { } done)
                    edges.AddRange([(done.Low, +1), (done.High, -1)]);
                open = a;
            }

            if (open is { } last)
                edges.AddRange([(last.Low, +1), (last.High, -1)]);
        }

        // closed stretches: at one point, openings count before closings
        edges.Sort((x, y) => x.At != y.At ? x.At.CompareTo(y.At) : y.Step.CompareTo(x.Step));
        var fit = new List<(double Low, double High)>();
        int depth = 0;
        double from = 0;
        foreach (var (at, step) in edges)
        {
            if (step > 0 && ++depth == rules.Count)
                from = at;
            else if (step < 0 && depth-- == rules.Count)
                fit.Add((from, at));
        }

        // a lone instant where two rules only touch (a goroutine ending exactly as another begins) is not a stretch
        // worth taking when there are stretches
        return fit.Any(f => f.High > f.Low) ? fit.Where(f => f.High > f.Low).ToList() : fit;
    }

    private static (TimelineAnchor? Anchor, string Why) Place(IReadOnlyList<long> ids, GoroutineHistory history, string dumpClock, string source, string traceFile)
    {
        const double Before = double.NegativeInfinity, After = double.PositiveInfinity;
        double end = history.End.TotalMilliseconds;
        var lives = history.Lives.ToDictionary(g => g.Id);
        var listed = ids.ToHashSet();
        long maxTraceId = history.Lives.Count == 0 ? 0 : history.Lives.Max(g => g.Id);
        var rules = new List<Rule>();
        string At(double ms) => string.Create(CultureInfo.InvariantCulture, $"+{ms:F3} ms");
        string Name(GoTraceGoroutine g) => g.StartFunction is null ? $"goroutine {g.Id}" : $"goroutine {g.Id} ({g.StartFunction})";

        foreach (long id in listed)
        {
            if (lives.TryGetValue(id, out var g))
            {
                double from = g.CreatedMs ?? Before, to = g.EndedMs ?? After;
                if (g.StartFunction == TraceReader && g.EndedMs is null)
                {
                    // runtime/trace.Start's goroutine copies the trace out until trace.Stop, then returns: the dump
                    // lists it, so it was taken while the trace ran (its end is not traced: it follows the trace's end)
                    rules.Add(new Rule([(from, end)], $"it lists {Name(g)}, which reads the trace until it stops"));
                    continue;
                }

                if (g.CreatedMs is not null || g.EndedMs is not null)
                {
                    string why = g.CreatedMs is { } c && g.EndedMs is { } e ? $"it lists {Name(g)}, alive from {At(c)} to {At(e)}"
                        : g.CreatedMs is { } c2 ? $"it lists {Name(g)}, created at {At(c2)}"
                        : $"it lists {Name(g)}, which ended at {At(g.EndedMs!.Value)}";
                    rules.Add(new Rule([(from, to)], why));
                }
            }
            else
            {
                // the trace records every goroutine alive while it runs: one it never shows lived outside its window
                rules.Add(id > maxTraceId
                    ? new Rule([(end, After)], $"it lists goroutine {id}, newer than any the trace shows (created after the trace)")
                    : new Rule([(Before, 0), (end, After)], $"it lists goroutine {id}, which the trace does not show (alive only outside the trace)"));
            }
        }

        // user goroutines the trace saw created that the dump leaves out: not alive when it was taken (a runtime
        // goroutine's absence says nothing: dumps leave those out)
        foreach (var g in history.Lives.Where(g => !listed.Contains(g.Id) && g.IsRuntime == false && g.CreatedMs is not null))
        {
            double c = g.CreatedMs!.Value;
            rules.Add(g.EndedMs is { } e
                ? new Rule([(Before, c), (e, After)], $"it leaves out {Name(g)}, alive from {At(c)} to {At(e)}")
                : new Rule([(Before, c), (end, After)], $"it leaves out {Name(g)}, created at {At(c)} and alive at the trace's end"));
        }

        if (rules.Count == 0)
            return (null, $"none of its {listed.Count} goroutines was created or ended during {traceFile}, so its ids say nothing about when it was taken");

        var fit = Intersect(rules);
        if (fit.Count == 0)
        {
            // name the two rules that exclude each other when two single stretches do: the latest "not before" and
            // the earliest "not after"
            var single = rules.Where(r => r.Allowed.Count == 1).ToList();
            var latest = single.MaxBy(r => r.Allowed[0].Low);
            var earliest = single.MinBy(r => r.Allowed[0].High);
            string why = latest is not null && earliest is not null && latest.Allowed[0].Low > earliest.Allowed[0].High
                ? $"{latest.Why}, and {earliest.Why}: no moment fits both"
                : $"no moment fits all {rules.Count} goroutines it lists or leaves out";
            return (null, $"against {traceFile}: {why} (not the same process, or not the same run)");
        }

        double low = fit.Min(p => p.Low), high = fit.Max(p => p.High);
        string From(double at) => rules.FirstOrDefault(r => r.Allowed.Any(a => a.Low == at))?.Why ?? "";
        string Until(double at) => rules.FirstOrDefault(r => r.Allowed.Any(a => a.High == at))?.Why ?? "";
        if (double.IsInfinity(low) || double.IsInfinity(high))
        {
            // merge touching stretches, then say each: "before +x ms", "between +a and +b ms", "after +y ms (the trace's end)"
            var merged = new List<(double Low, double High)>();
            foreach (var p in fit)
            {
                if (merged.Count > 0 && merged[^1].High >= p.Low)
                    merged[^1] = (merged[^1].Low, p.High);
                else
                    merged.Add(p);
            }

            string Stretch((double Low, double High) p) =>
                double.IsInfinity(p.Low) && double.IsInfinity(p.High) ? "at any moment"
                : double.IsInfinity(p.Low) ? $"before {At(p.High)}{(p.High <= 0 ? " (the trace's start)" : $" ({Until(p.High)})")}"
                : double.IsInfinity(p.High) ? $"after {At(p.Low)}{(p.Low >= end ? " (the trace's end)" : $" ({From(p.Low)})")}"
                : $"between {At(p.Low)} and {At(p.High)}";
            return (null, $"against {traceFile}: its goroutines fit a dump taken {string.Join(" or ", merged.Select(Stretch))} on {traceFile}'s clock, and nothing bounds that in time");
        }

        string gaps = fit.Count > 1 && fit.Zip(fit.Skip(1)).Any(p => p.First.High < p.Second.Low) ? "; the moments that fit are not one stretch: their whole span is taken" : "";
        var anchor = new TimelineAnchor(dumpClock, history.Clock, TimeSpan.FromMilliseconds((low + high) / 2), TimeSpan.FromMilliseconds((high - low) / 2), AnchorQuality.Derived, source,
            string.Create(CultureInfo.InvariantCulture,
                $"goroutine ids (the same in the dump and the trace): taken between {At(low)} and {At(high)} on {traceFile}'s clock: not before {At(low)} ({From(low)}), not after {At(high)} ({Until(high)}){gaps}"));
        return (anchor, "");
    }
}
