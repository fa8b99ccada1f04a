using Analysis.Timelines;

namespace Analysis.Fuzz;

public static partial class FuzzTargets
{
    /// <summary>
    /// The other files of the run the timeline fixture comes from (tests/testdata/go/dump-in-trace): its execution trace
    /// (which places a goroutine dump by its ids and joins a gctrace through the GC gaps), its gctrace and two heap
    /// profiles. Read once per worker process: they are not what is fuzzed.
    /// </summary>
    private static readonly Lazy<TimelineSource[]> s_timelineCompanions = new(() =>
    {
        string dir = Path.Combine(Seeds.GoFixtures, "dump-in-trace");
        return [.. new[] { "trace.out", "gctrace.log", "heap-1.pb.gz", "heap-2.pb.gz" }.Select(f => TimelineSources.FromFile(Path.Combine(dir, f)))];
    });

    /// <summary>
    /// A damaged text (a goroutine dump or a gctrace, as the seeds are) read as a timeline source, then put on one
    /// timeline alone, with the trace of the same run, with the gctrace, and with all the run's files: the format's
    /// detection, the placement of a goroutine dump by its ids, the joining of clocks through GC gaps and heap profiles.
    /// </summary>
    private static void TimelineCase(string file)
    {
        var source = TimelineSources.FromFile(file);
        Touch(source.Goroutines);
        Touch(string.Join(";", source.Warnings));
        var companions = s_timelineCompanions.Value;
        TimelineSource[][] sets = [[source], [companions[0], source], [companions[1], source], [.. companions, source]];
        foreach (var set in sets)
        {
            var timeline = TimelineBuilder.Build(set);
            foreach (var e in timeline.Events.Take(2000))
                Touch(e);
            foreach (var a in timeline.Anchors)
                Touch(a);
            foreach (var c in timeline.Clocks)
                Touch(c);
            Touch(string.Join(";", timeline.Warnings));
        }
    }
}
